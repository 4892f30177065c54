"""The navigation workaround (`explorer.ui.navigation`) and what it relies on in Streamlit: if a release renames or
drops the legacy-multipage switch, or `st.navigation` stops turning it off, these fail before a lecture does."""

from __future__ import annotations

from pathlib import Path

from apptest import assert_clean
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest

from explorer.ui import outline

ROOT = Path(__file__).resolve().parents[2]


def test_streamlit_still_takes_a_pages_folder_for_a_legacy_multipage_app():
    """The switch the workaround flips: a class attribute, set from the pages/ folder beside the main script."""
    saved = PagesManager.uses_pages_directory
    try:
        PagesManager.uses_pages_directory = None
        PagesManager(str(ROOT / "app.py"), setup_watcher=False)
        assert PagesManager.uses_pages_directory is True
    finally:
        PagesManager.uses_pages_directory = saved


def test_the_app_runs_its_navigation_which_turns_the_legacy_mode_off(zoo_dir):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    assert_clean(at)
    assert PagesManager.uses_pages_directory is False
    assert at.title[0].value == outline.PAGES[0].heading  # the default page, Home
    light = outline.page("reparameterization")  # the navigation, built from the outline, reaches a page by its path
    at.switch_page(light.path).run()
    assert_clean(at)
    assert at.title[0].value == light.heading


def _direct_link() -> None:
    """A page as a first visitor's direct link runs it while the legacy mode is still on."""
    import streamlit as st
    from streamlit.runtime.pages_manager import PagesManager

    from explorer.ui import navigation

    st.session_state["runs"] = st.session_state.get("runs", 0) + 1
    if st.session_state["runs"] == 1:
        PagesManager.uses_pages_directory = True
    navigation.ensure_app_navigation()
    st.write("drawn")


def test_a_direct_link_switches_the_legacy_mode_off_and_reruns():
    at = AppTest.from_function(_direct_link)
    at.run()
    assert_clean(at)
    assert at.session_state["runs"] == 2 and PagesManager.uses_pages_directory is False
    assert [element.value for element in at.markdown] == ["drawn"]
