"""Lecture mode on screen: a view's note (`explorer.lecture.notes`) in a band below the view.

One look everywhere, readable from the back of a hall: the equation large, the explanation as body text, and
the hint at body size with a bulb (a grey caption is too faint on a projector); hints inside views use `hint`.
"""

from __future__ import annotations

import streamlit as st

from explorer.lecture import notes as lecture_notes
from explorer.ui import session

TRY = ":material/lightbulb: **Try:** {}"


def show(page: str, view: str | lecture_notes.ViewNote) -> None:
    """The note of `view` on `page` (the page's file stem and the view's `TabSpec.note`: a key of the lecture
    notes, or a note declared with the tab)."""
    note = view if isinstance(view, lecture_notes.ViewNote) else lecture_notes.note(page, view)
    st.latex(note.equation)
    st.markdown(note.explanation)
    hint(note.try_this)


def band(page: str, view: str | lecture_notes.ViewNote) -> None:
    """The note in a band below its view: open on a laptop, collapsed in projector mode, where the picture and
    its knobs need the screen (the lecturer opens it when the equation is the point)."""
    with st.expander("The idea: equation, explanation and what to try", expanded=not session.projector()):
        show(page, view)


def hint(text: str) -> None:
    """A "Try:" hint, at body size."""
    st.markdown(TRY.format(text))
