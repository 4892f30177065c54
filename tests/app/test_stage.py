"""The stage (issue 22): the picture first. A view's lecture note sits in a band below the view, open on a laptop
and collapsed in projector mode; projector mode is a knob of every page, so a link switches it on; the
Reparameterization, Straight-through and Exercises pages have lazy tabs that a link opens, and a preset opens
the tab its knobs are on without leaving projector mode."""

from __future__ import annotations

from pathlib import Path

import pytest
from apptest import assert_clean, open_link, open_page, open_tab, style_sheets
from streamlit.testing.v1 import AppTest

from explorer.store import zoo
from explorer.ui import outline, presets, session
from explorer.ui.declarations.straight_through import RELAXED

ROOT = Path(__file__).resolve().parents[2]
BAND = "The idea: equation, explanation and what to try"  # explorer.ui.notes.band
ABOUT = "About this page"  # explorer.ui.render: the page's introduction
NEWLY_LAZY = ("reparameterization", "straight_through", "exercises")
NEEDS_ZOO = pytest.mark.skipif(not zoo.names(), reason="no pretrained models: run `python -m explorer pretrain`")


def open_label(at: AppTest, tab_key: str) -> str:
    """The label of the open tab of the lazy tabs keyed `tab_key`."""
    tabs = next(t for t in at.get("tab_container") if t.proto.tab_container.id.endswith(f"-{tab_key}"))
    return [tab.label for tab in tabs.children.values()][tabs.proto.tab_container.default_tab_index]


def bands(block) -> list:
    return [element for element in block if getattr(element, "type", None) == "expander" and element.label == BAND]


def check_note_below_its_view(block, where: str) -> None:
    """In `block` (a tab, or a one-view page's main area), in reading order: the view's first chart, then the
    band with the note (an equation or words, and the "Try:" hint)."""
    order = list(block)
    kinds = [getattr(element, "type", None) for element in order]
    assert "plotly_chart" in kinds, f"{where}: no chart"
    (band,) = bands(order)
    assert kinds.index("plotly_chart") < order.index(band), f"{where}: the note is above the view's first chart"
    assert band.proto.expanded, f"{where}: the band is collapsed on a laptop"
    assert any("Try:" in markdown.value for markdown in band.markdown), f"{where}: no hint in the band"


@pytest.mark.parametrize("stem", NEWLY_LAZY)
def test_the_note_of_each_tab_is_in_a_band_after_its_first_chart_and_the_introduction_last(stem, zoo_dir):
    page = outline.page(stem)
    at = open_page(f"{stem}.py")
    for label in page.labels:
        open_tab(at, page.tab_key, label)
        (tab,) = [tab for tab in at.tabs if tab.label == label]
        check_note_below_its_view(tab, f"{stem} / {label}")
        order = list(at.main)
        (band,) = bands(order)  # a closed tab draws no note
        (about,) = [element for element in order if getattr(element, "type", None) == "expander"
                    and element.label == ABOUT]
        assert order.index(band) < order.index(about) and about.proto.expanded


def test_a_one_view_page_draws_its_note_below_the_view(zoo_dir):
    check_note_below_its_view(open_page("vae_em.py").main, "vae_em")


@pytest.mark.parametrize("stem", NEWLY_LAZY)
def test_a_link_opens_a_lazy_tab(stem, zoo_dir):
    page = outline.page(stem)
    for label in page.labels[1:]:
        at = open_link(f"{stem}.py", {page.tab_key: label})
        assert open_label(at, page.tab_key) == label
        assert at.query_params == {page.tab_key: label}  # the link stays in the address bar
        assert [len(list(tab)) > 1 for tab in at.tabs] == [other == label for other in page.labels]


@NEEDS_ZOO
@pytest.mark.parametrize("page", outline.PAGES, ids=lambda page: page.stem)
def test_projector_true_in_a_link_switches_projector_mode_on(page, mnist_dir):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.query_params["projector"] = "true"
    at.switch_page(page.path)
    at.run()
    assert_clean(at)
    assert at.title[0].value == (page.heading or page.title)
    assert at.sidebar.toggle(key="projector").value is True
    assert any(f"font-size: {session.PROJECTOR_ROOT_PX}px" in sheet for sheet in style_sheets(at))
    assert at.query_params.get("projector") == "true"  # and the page keeps it in its link
    assert not any(band.proto.expanded for band in bands(at.main)), "a note is open on the projector"


def test_a_preset_opens_its_tab_and_leaves_projector_mode_on(zoo_dir):
    at = open_link("straight_through.py", {"projector": "true"})
    at.button_group(key="preset_straight_through").set_value("τ too low (0.01)").run()
    assert_clean(at)
    assert at.session_state["projector"] is True and at.query_params.get("projector") == "true"
    assert open_label(at, "st_tab") == RELAXED and at.select_slider(key="gs_tau").value == 0.01
    assert at.button_group(key="preset_straight_through").value == "τ too low (0.01)"  # lit in projector mode
    assert "projector" not in presets.preset_knobs("straight_through")
