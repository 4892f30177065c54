"""Lecture mode: beside every view of every page, the equation it illustrates, one or two sentences of
explanation and one thing to try on that view's widgets (issue 12).

The notes are data, kept apart from the pages so that a lecturer can read and correct them in one place and a
test can hold them equal to the views the pages declare: keyed by page stem and `TabSpec.note`, never by a tab's
label, which is written only in the page's declaration (explorer/ui/declarations/). This module must not import
Streamlit: `explorer.ui.notes.show` renders a note. The content lives in two modules by lecture section.
"""

from __future__ import annotations

from dataclasses import dataclass

from explorer.lecture import notes_discrete as lecture_notes_discrete
from explorer.lecture import notes_gaussian as lecture_notes_gaussian


@dataclass(frozen=True)
class ViewNote:
    equation: str  # LaTeX, for st.latex
    explanation: str  # one or two sentences, Markdown
    try_this: str  # one concrete action on the view's own widgets, and what the student will see


def _build(*sections: dict[str, dict[str, dict[str, str]]]) -> dict[str, dict[str, ViewNote]]:
    notes: dict[str, dict[str, ViewNote]] = {}
    for section in sections:
        for page, views in section.items():
            if page in notes:  # two sections writing one page would silently drop views
                raise ValueError(f"page {page!r} has notes in two sections")
            notes[page] = {view: ViewNote(**fields) for view, fields in views.items()}
    return notes


NOTES: dict[str, dict[str, ViewNote]] = _build(lecture_notes_gaussian.NOTES, lecture_notes_discrete.NOTES)


def note(page: str, view: str) -> ViewNote:
    """The note of one view; a KeyError names what is missing, so a renamed note key fails loudly."""
    try:
        return NOTES[page][view]
    except KeyError:
        known = sorted(NOTES.get(page, {}))
        raise KeyError(f"no lecture note for page {page!r}, view {view!r}; this page has {known}") from None
