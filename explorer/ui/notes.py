"""Lecture mode on screen: a view's note (`explorer.lecture_notes`) at the top of the view.

One look everywhere, readable from the back of a hall: the equation large, the explanation as body text, and
the hint as a caption with a bulb, the same look as the hints inside some views (`estimator_views.hint`).
"""

from __future__ import annotations

import streamlit as st

from explorer import lecture_notes

TRY = ":material/lightbulb: **Try:** {}"


def show(page: str, view: str) -> None:
    """The note of `view` on `page` (the page's file stem and the tab label, or "main")."""
    note = lecture_notes.note(page, view)
    st.latex(note.equation)
    st.markdown(note.explanation)
    st.caption(TRY.format(note.try_this))
