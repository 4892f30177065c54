"""The one workaround between the app and Streamlit's multipage machinery, kept here and held by
tests/app/test_navigation.py, which fails if Streamlit changes underneath it.

The product keeps its pages in a top-level `pages/` folder. Streamlit treats an app with such a folder as a
legacy ("v1") multipage app until a script has called `st.navigation` once in the process
(`PagesManager.uses_pages_directory`, a class attribute: None until the first session, then whether `pages/`
exists; `st.navigation` sets it to False). A first visitor who opens /latent_space directly would get the page
without app.py (no sections, no shared sidebar). `ensure_app_navigation` switches the legacy mode off and reruns,
so app.py runs and routes to the requested page. Every page calls it first, through `render`.
"""

from __future__ import annotations

import copy

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from explorer.ui import outline


def ensure_app_navigation() -> None:
    """Call first in every page: make a direct link to a page run through app.py."""
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


def navigation_pages() -> dict[str, list[st.Page]]:
    """`st.navigation`'s argument: every declared page, grouped by its section, in the outline's order. Fresh
    copies of the process's pages: building an `st.Page` resolves its path on disk (15 % of a follower's rerun),
    and each run needs its own, since `st.navigation` marks the page it returns as the one this run may call."""
    return {section: [copy.copy(page) for page in pages] for section, pages in _pages().items()}


@st.cache_resource(show_spinner=False)
def _pages() -> dict[str, list[st.Page]]:
    grouped: dict[str, list[st.Page]] = {}
    for page in outline.PAGES:
        grouped.setdefault(page.section, []).append(
            st.Page(page.path, title=page.title, icon=page.icon, default=page.default))
    return grouped
