"""The one renderer of every page: its title and introduction, presets and URL state, lazy or eager tabs, each
view's lecture note, the view itself and its "Show the code", all read from the page's declaration
(`explorer.ui.declare.PageSpec`). A page file in `pages/` is a call of `render` and nothing else.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from explorer.ui import navigation, notes, presets
from explorer.ui.code import show_code
from explorer.ui.declare import PageSpec, TabSpec

NO_HEADER = object()  # a page without a header: its views take no argument


def render(page: PageSpec) -> None:
    """Draw `page`. One view: its note first, then presets and the view (the note frames the whole page). Several:
    presets, the header's widgets, then the tabs, each opening with its note."""
    navigation.ensure_app_navigation()
    st.title(page.heading or page.title)
    for block in page.intro:
        getattr(st, block.kind)(block.text)
    if len(page.tabs) == 1:
        _note(page, page.tabs[0])
        _presets(page)
        _view(page.tabs[0], page.header() if page.header else NO_HEADER)
    else:
        _presets(page)
        _tabs(page, page.header() if page.header else NO_HEADER)
    if page.publish:
        presets.publish(page.stem)


def _presets(page: PageSpec) -> None:
    if page.all_knobs:
        presets.use(page.stem)


def _tabs(page: PageSpec, context: Any) -> None:
    """Lazy tabs (a `tab_key`): only the open tab runs and reaches the browser, so a hidden training panel does
    not redraw its charts every second (BENCHMARKS.md, issue 11). Eager tabs: all run."""
    if page.tab_key is None:
        for container, tab in zip(st.tabs(list(page.labels)), page.tabs, strict=True):
            with container:
                _note(page, tab)
                _view(tab, context)
        return
    containers = st.tabs(list(page.labels), key=page.tab_key, on_change="rerun")
    for container, tab in zip(containers, page.tabs, strict=True):
        if container.open:
            with container:
                _note(page, tab)
                _view(tab, context)


def _note(page: PageSpec, tab: TabSpec) -> None:
    if tab.note is not None:
        notes.show(page.stem, tab.note)


def _view(tab: TabSpec, context: Any) -> None:
    if context is NO_HEADER:
        tab.view()
    else:
        tab.view(context)
    if tab.code:
        show_code(*tab.code)
