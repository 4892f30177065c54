"""Lecture mode on screen: the pages draw every view's note, its equation as LaTeX and its hint as text.

Four pages that need no pretrained model and no MNIST, so the check stays cheap; which notes exist for
which tab is held by tests/unit/test_lecture_notes.py for every page.
"""

from __future__ import annotations

import pytest
from apptest import open_page, open_tab

from explorer.lecture.notes import NOTES
from explorer.ui import outline
from explorer.ui.notes import TRY


@pytest.mark.parametrize("page", ["reparameterization", "straight_through", "vae_em", "assignment"])
def test_every_view_of_the_page_shows_its_note(page):
    at = open_page(f"{page}.py")
    declared = outline.page(page)
    for tab in declared.tabs:
        note = NOTES[page][tab.note]
        view = tab.label
        if declared.tab_key:  # only the open tab is drawn
            open_tab(at, declared.tab_key, view)
        latex = [element.value.strip("$\n") for element in at.latex]  # st.latex stores "$$\n…\n$$"
        markdown = [element.value for element in at.markdown]
        assert note.equation in latex, view
        assert note.explanation in markdown, view
        assert TRY.format(note.try_this) in markdown, view
