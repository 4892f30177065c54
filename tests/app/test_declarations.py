"""The pages' declarations hold together, read as data (no page source is parsed): every page file has a
declaration and every declaration a file; the navigation and the Home map come from the outline; every view has
its note and shows the maths in `explorer/` that computed it; every knob's default and every preset's value is
allowed and survives the URL; a preset opens a tab by its label. That a knob is a widget on its page, and that
each tab opens clean and keeps its widgets, the AppTests in test_presets.py and test_lazy_tabs.py check."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from explorer.lecture.notes import NOTES, ViewNote
from explorer.ui import outline, presets, state
from explorer.ui.code import source
from explorer.ui.declare import MAIN

ROOT = Path(__file__).resolve().parents[2]
PAGES = {page.stem: page for page in outline.PAGES}
SECTIONED = {"elbo_gap"}  # one view made of sections, each showing its own code (declare.TabSpec)


def test_every_page_file_is_declared_once_and_every_declaration_has_its_file():
    files = {path.stem for path in (ROOT / "pages").glob("*.py")}
    assert len(PAGES) == len(outline.PAGES), "two declarations of one page"
    assert set(PAGES) == files
    assert all((ROOT / page.path).exists() for page in outline.PAGES)


def test_the_home_map_is_every_other_page_once_in_sidebar_order():
    assert [page.stem for page in outline.LECTURE] == [page.stem for page in outline.PAGES if page.stem != "home"]
    assert [page.stem for page in outline.PAGES if page.default] == ["home"] == [outline.PAGES[0].stem]


def test_sections_are_contiguous_so_the_navigation_keeps_the_outline_order():
    sections = [page.section for page in outline.PAGES]
    seen = [section for i, section in enumerate(sections) if i == 0 or sections[i - 1] != section]
    assert len(seen) == len(set(seen)), seen


def test_notes_are_exactly_the_declared_views():
    declared = {page.stem: {tab.note for tab in page.tabs if not isinstance(tab.note, ViewNote)}
                for page in outline.PAGES}
    assert NOTES == {stem: NOTES.get(stem) for stem in NOTES}  # nothing odd in the notes' own keys
    assert {stem: set(NOTES.get(stem, {})) for stem in declared if declared[stem] != {None}} == {
        stem: notes for stem, notes in declared.items() if notes != {None}}
    assert set(NOTES) <= set(declared)


@pytest.mark.parametrize("page", outline.PAGES, ids=lambda page: page.stem)
def test_a_page_is_well_formed(page):
    assert page.tabs and len(set(page.labels)) == len(page.labels)
    assert len({tab.note for tab in page.tabs}) == len(page.tabs), "two views share a note"
    if len(page.tabs) == 1:
        assert page.labels == (MAIN,) and page.tab_key is None and page.header is None
    assert page.title and page.icon.startswith(":material/") and page.idea and page.summary
    assert all(block.kind in ("markdown", "latex", "caption") for block in page.intro)
    assert not set(page.keep) & set(page.knobs), "a knob is kept anyway"
    assert bool(page.presets) == bool(page.knobs), "a page with knobs of its own offers presets, and only such a page"


def code_problems(function) -> list[str]:
    module = getattr(inspect.unwrap(function), "__module__", "") or ""
    if not module.startswith("explorer.") or module.startswith("explorer.ui"):
        return [f"{function!r} is from {module!r}, not the maths in explorer/"]
    return [] if source(function).strip() else [f"{function!r} has no source to show"]


@pytest.mark.parametrize("page", [page for page in outline.PAGES if page.stem != "home"], ids=lambda page: page.stem)
def test_every_view_shows_the_maths_that_computed_it(page):
    for tab in page.tabs:
        assert tab.code or page.stem in SECTIONED, f"{page.stem} / {tab.label} shows no code"
        assert [problem for function in tab.code for problem in code_problems(function)] == []


def test_the_code_check_can_fail():
    from explorer.maths import em

    assert code_problems(presets.use) and code_problems(print) and not code_problems(em.fit)


def test_every_page_has_the_global_knobs_and_only_pages_with_their_own_knobs_have_presets():
    assert set(presets.KNOBS) == set(PAGES)
    assert all(presets.KNOBS[stem].items() >= state.GLOBAL_KNOBS.items() for stem in PAGES)
    assert set(presets.PRESETS) == {stem for stem, page in PAGES.items() if page.knobs}
    assert {"home", "draw_compare", "my_models"} <= set(PAGES) - set(presets.PRESETS)


@pytest.mark.parametrize("stem", sorted(presets.KNOBS))
def test_knob_defaults_and_preset_values_are_allowed_and_survive_the_url(stem):
    knobs = presets.KNOBS[stem]
    for key, knob in knobs.items():
        assert knob.allows(knob.default), (key, knob.default)
        assert knob.parse(state.as_text(knob.default)) == knob.default
    if not PAGES[stem].knobs:  # projector mode only: nothing worth a preset
        assert stem not in presets.PRESETS
        return
    assert len(presets.PRESETS[stem]) >= 2
    for name, values in presets.PRESETS[stem].items():
        assert values, f"{stem}: preset {name!r} sets nothing"
        assert set(values) <= set(knobs), f"{stem}: preset {name!r} sets unknown keys {set(values) - set(knobs)}"
        for key, value in values.items():
            assert knobs[key].allows(value), f"{stem}: preset {name!r}: {key} = {value!r} is not allowed"
            assert knobs[key].parse(state.as_text(value)) == value


def test_lazy_tabs_are_a_knob_whose_values_are_the_labels():
    for page in outline.PAGES:
        if page.tab_key:
            assert page.all_knobs[page.tab_key] == state.Choice(page.labels, page.labels[0])
            assert presets.TABS[page.stem] == (page.tab_key, page.labels)
    assert set(presets.TABS) == {page.stem for page in outline.PAGES if page.tab_key}
