"""The one renderer of every page: its title and introduction, presets and URL state, lazy or eager tabs, each
view's lecture note, the view itself and its "Show the code", all read from the page's declaration
(`explorer.ui.declare.PageSpec`). A page file in `pages/` is a call of `render` and nothing else.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from explorer.ui import navigation, notes, presets, session
from explorer.ui.code import show_code
from explorer.ui.declare import PageSpec, TabSpec

NO_HEADER = object()  # a page without a header: its views take no argument


def render(page: PageSpec) -> None:
    """Draw `page` as a stage (issue 22): a one-line title, the presets' row, the header's knobs, then the view
    with its knobs; the lecture note (equation, explanation, what to try) and the page's introduction sit in a
    band below the view, open on a laptop and collapsed in projector mode, so no prose pushes the picture down
    a projector's first screen."""
    navigation.ensure_app_navigation()
    st.title(page.heading or page.title)
    _presets(page)
    context = page.header() if page.header else NO_HEADER
    if len(page.tabs) == 1:
        _view(page, page.tabs[0], context)
    else:
        _tabs(page, context)
    if page.intro:
        with st.expander("About this page", expanded=not session.projector()):
            for block in page.intro:
                getattr(st, block.kind)(block.text)
    if page.publish:
        presets.publish(page.stem)


def _presets(page: PageSpec) -> None:
    presets.use(page.stem)  # every page has knobs: projector mode at least


def _tabs(page: PageSpec, context: Any) -> None:
    """Lazy tabs (a `tab_key`): only the open tab runs and reaches the browser, so a hidden training panel does
    not redraw its charts every second (BENCHMARKS.md, issue 11). Eager tabs: all run."""
    if page.tab_key is None:
        for container, tab in zip(st.tabs(list(page.labels)), page.tabs, strict=True):
            with container:
                _view(page, tab, context)
        return
    containers = st.tabs(list(page.labels), key=page.tab_key, on_change="rerun")
    for container, tab in zip(containers, page.tabs, strict=True):
        if container.open:
            with container:
                _view(page, tab, context)


def _view(page: PageSpec, tab: TabSpec, context: Any) -> None:
    """The view, then its note in a band below it (`notes.band`), then its code."""
    if context is NO_HEADER:
        tab.view()
    else:
        tab.view(context)
    if tab.note is not None:
        notes.band(page.stem, tab.note)
    if tab.code:
        show_code(*tab.code)
