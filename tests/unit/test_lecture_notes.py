"""Lecture mode (issue 12): every note is complete and short, and the notes import without Streamlit. That the
notes are exactly the views the pages declare, tests/app/test_declarations.py checks; the renderer draws each
view's note at its top (explorer/ui/render.py).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from explorer.lecture import notes as lecture_notes
from explorer.lecture.notes import NOTES

ROOT = Path(__file__).resolve().parents[2]
MAX_EXPLANATION = 350
ABBREVIATIONS = ("et al.", "e.g.", "i.e.", "i.i.d.", "vs.")


def sentences(text: str) -> int:
    text = re.sub(r"^\*\*[^*]+\.\*\*\s*", "", text)  # a bold label such as "**Exercise.**" opens the text
    for abbreviation in ABBREVIATIONS:
        text = text.replace(abbreviation, "")
    return len([part for part in re.split(r"[.!?](?:\s+|$)", text) if part.strip()])


def braces_balanced(latex: str) -> bool:
    depth = 0
    for brace in re.sub(r"\\[{}]", "", latex):  # \{ and \} are literal braces, not groups
        depth += {"{": 1, "}": -1}.get(brace, 0)
        if depth < 0:
            return False
    return depth == 0


def all_notes():
    """The lecture notes, and the notes a page declares with its tab (`declare.TabSpec.note`)."""
    from explorer.lecture.notes import ViewNote
    from explorer.ui import outline

    inline = [(page.stem, tab.label, tab.note) for page in outline.PAGES for tab in page.tabs
              if isinstance(tab.note, ViewNote)]
    return [pytest.param(page, view, note, id=f"{page}/{view}")
            for page, view, note in [*((p, v, n) for p, views in NOTES.items() for v, n in views.items()), *inline]]


@pytest.mark.parametrize(("page", "view", "note"), all_notes())
def test_a_note_is_complete_and_short(page, view, note):
    assert note.equation.strip() and note.explanation.strip() and note.try_this.strip()
    assert braces_balanced(note.equation), note.equation
    assert len(note.explanation) <= MAX_EXPLANATION, f"{len(note.explanation)} characters"
    assert sentences(note.explanation) <= 2, note.explanation
    assert not note.try_this.lower().startswith("try"), "the page prefixes the hint with 'Try:'"


def test_the_checks_can_fail():
    """The helpers above see what they must: unbalanced braces, three sentences."""
    assert not braces_balanced(r"\frac{a}{b") and not braces_balanced(r"a}{") and braces_balanced(r"\{x\}")
    assert sentences("One (Kingma et al. 2016). Two. Three.") == 3
    assert sentences("**Exercise.** Show that this holds. Then that one.") == 2


def test_an_unknown_view_is_refused_by_name():
    with pytest.raises(KeyError, match="vq_vae.*no such tab"):
        lecture_notes.note("vq_vae", "no such tab")


def test_the_notes_import_without_streamlit():
    code = "import sys, explorer.lecture.notes; print('streamlit' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert result.stdout.strip() == "False"
