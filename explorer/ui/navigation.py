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
from pathlib import Path

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager
from streamlit.runtime.scriptrunner import get_script_run_ctx

from explorer.ui import outline

APP_RAN = "_app_ran"  # set by app.py's first line in every session it runs for


def app_runs() -> None:
    """app.py's first line: this session's runs go through app.py."""
    st.session_state[APP_RAN] = True


def ensure_app_navigation() -> None:
    """Call first in every page: make a direct link to a page run through app.py. Also for a session whose first
    run started in the legacy mode while another session's switched it off (several first visitors at once, as
    the students of a hall on a freshly started replica): its page would run without app.py (no sidebar, no join
    of the room its link names) and the flag alone no longer says so."""
    ctx = get_script_run_ctx()
    skipped_app = (ctx is not None and Path(ctx.main_script_path).name == "app.py"
                   and not st.session_state.get(APP_RAN))
    if PagesManager.uses_pages_directory or skipped_app:
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
