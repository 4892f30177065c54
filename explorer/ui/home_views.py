"""The home page's lecture map: a card per idea with its page's thumbnail, a link and one line."""

from __future__ import annotations

import streamlit as st

from explorer import lecture
from explorer.ui import pages

COLUMNS = 3


def lecture_map() -> None:
    for start in range(0, len(lecture.OUTLINE), COLUMNS):
        row = lecture.OUTLINE[start : start + COLUMNS]
        for number, (column, stop) in enumerate(zip(st.columns(COLUMNS), row, strict=False), start + 1):
            with column.container(border=True):
                if stop.thumbnail.exists():
                    st.image(str(stop.thumbnail), width="stretch")
                st.markdown(f"**{number}. {stop.idea}**")
                pages.link(stop.page, stop.title, icon=":material/arrow_forward:")
                st.caption(stop.what_you_see)
