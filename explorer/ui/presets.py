"""The knobs each page keeps in its URL and the presets worth showing in class, derived from the pages'
declarations (`explorer.ui.declare.PageSpec`, listed in `explorer.ui.outline`): nothing here is written twice.

`KNOBS[page]` maps a widget key on the page to its allowed values and default (the widget's own), the open lazy
tab and projector mode (`state.GLOBAL_KNOBS`, every page's) among them; it is what a link may set.
`PRESETS[page]` maps a preset's name to the knobs it sets; the page's other knobs go to their defaults, projector
mode stays. `TABS[page]` is a lazy-tabbed page's (tab key, labels); `KEEP[page]` the widgets of its lazy tabs kept
while closed. The renderer calls `use(page)` before the page's widgets and `publish(page)` at its
end where a button changes state mid-run. tests/app/test_declarations.py holds the declarations together.
"""

from __future__ import annotations

from typing import Any

from explorer.ui import outline, state

KNOBS: dict[str, dict[str, state.Knob]] = {page.stem: page.all_knobs for page in outline.PAGES if page.all_knobs}
PRESETS: dict[str, dict[str, dict[str, Any]]] = {page.stem: dict(page.presets) for page in outline.PAGES
                                                 if page.presets}
# Lazy tabs (`st.tabs(labels, key=key, on_change="rerun")`): the open tab is a knob, so a link opens it, and a
# preset opens the tab its knobs are on.
TABS: dict[str, tuple[str, tuple[str, ...]]] = {page.stem: (page.tab_key, page.labels) for page in outline.PAGES
                                                if page.tab_key}
# Widgets in lazy tabs that are no knobs: kept through the runs that do not draw them (`state.keep`), so a closed
# tab loses nothing (a running job keeps the β its slider set).
KEEP: dict[str, tuple[str, ...]] = {page.stem: page.keep for page in outline.PAGES if page.keep}


def use(page: str) -> None:
    """Call on a page before its widgets: keep its widgets' values, seed its knobs from the link, write the URL,
    offer its presets (over the page's own knobs: a preset leaves projector mode as it is)."""
    state.keep(KEEP.get(page, ()))
    state.bind(KNOBS[page])
    if PRESETS.get(page):
        state.presets(page, PRESETS[page], preset_knobs(page))


def preset_knobs(page: str) -> dict[str, state.Knob]:
    """The knobs a preset of `page` sets (those it names, the others to their defaults): all but the global ones."""
    return {key: knob for key, knob in KNOBS[page].items() if key not in state.GLOBAL_KNOBS}


def publish(page: str) -> None:
    """Call at a page's end when something in the run changed a knob (a "new draw" button)."""
    state.publish(KNOBS[page])
