"""What a page is, declared once: its place in the navigation, its card on the Home map, its tabs (label, view,
note, code shown), its knobs (the URL's names, ranges and defaults), its presets and the widgets it keeps.

`explorer.ui.render.render(page)` draws a page from its declaration; `explorer.ui.outline` lists every page in
sidebar order, which `app.py`'s navigation and the Home map both read; `explorer.ui.presets` derives the URL
state from the same declarations. The declarations live in `explorer/ui/declarations/<page stem>.py`, beside the
small view functions that are the page's own; `pages/<stem>.py` only renders them. No Streamlit call runs when
a declaration is imported, so tests and the URL machinery read them as data.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from explorer.lecture.notes import ViewNote
from explorer.ui.state import GLOBAL_KNOBS, Choice, Knob

MAIN = "main"  # the note of a page's only view, when it has no tabs


@dataclass(frozen=True)
class Block:
    """A piece of a page's introduction: `kind` is the Streamlit element that draws `text` (markdown, latex,
    caption)."""

    kind: str
    text: str


def markdown(text: str) -> Block:
    return Block("markdown", text)


def latex(equation: str) -> Block:
    return Block("latex", equation)


def caption(text: str) -> Block:
    return Block("caption", text)


@dataclass(frozen=True)
class TabSpec:
    """One view of a page: a tab, or the whole page when it has one view.

    `view` draws it; it takes the page's `header` result as its only argument when the page has a header, and
    no argument otherwise. `note` is the key of its lecture note under the page's stem in
    `explorer.lecture.notes`, or a `ViewNote` written here (a new tab then needs no other file), or None (no note:
    the Home map). `code` is what "Show the code" reveals after the
    view: the functions in `explorer/` that computed it. A view made of sections, each with its own code,
    shows that code itself and declares none (the ELBO page).
    """

    label: str
    view: Callable[..., Any]
    note: str | ViewNote | None
    code: tuple[Callable, ...] = ()


@dataclass(frozen=True)
class PageSpec:
    """A page, all of it in one place.

    `knobs` map a widget key to what a link may set it to (`state.Choice`, `state.Range`); `presets` map a
    preset's name to the knobs it sets (the others go to their defaults). With `tab_key`, the tabs are lazy
    (`st.tabs(..., key=tab_key, on_change="rerun")`: only the open tab runs) and the open tab is a knob too,
    its value the tab's label; without it, every tab is drawn on every run. `keep` names the widgets of lazy
    tabs that are no knobs but must keep their values while their tab is closed. `header` draws the widgets
    above the tabs that every view uses and returns what the views take. `publish` says that a view may
    change a knob during a run (a "New draw" button), so the URL is written again at the page's end.
    """

    stem: str  # the file name in pages/, and the page's name in notes, presets and URLs
    title: str  # in the navigation and on the Home map
    icon: str
    section: str  # the lecture section the navigation groups it under
    idea: str  # the lecture's name for what it shows, on its Home card
    summary: str  # what a student sees there, one line on its Home card
    tabs: tuple[TabSpec, ...]
    heading: str = ""  # the title on the page, when it is not `title`
    intro: tuple[Block, ...] = ()
    knobs: Mapping[str, Knob] = field(default_factory=dict)
    presets: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    keep: tuple[str, ...] = ()
    tab_key: str | None = None
    header: Callable[[], Any] | None = None
    publish: bool = False
    default: bool = False  # the page the app opens on

    @property
    def path(self) -> str:
        """The page's file, relative to the app's root, as `st.Page` and `st.page_link` take it."""
        return f"pages/{self.stem}.py"

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(tab.label for tab in self.tabs)

    @property
    def all_knobs(self) -> dict[str, Knob]:
        """Every value a link may set on the page: projector mode (`state.GLOBAL_KNOBS`), its knobs, and the open tab
        when its tabs are lazy."""
        tab = {} if self.tab_key is None else {self.tab_key: Choice(self.labels, self.labels[0])}
        return {**GLOBAL_KNOBS, **self.knobs, **tab}

    def tab(self, label: str) -> TabSpec:
        return next(tab for tab in self.tabs if tab.label == label)
