"""The home page's lecture map: a card per page, in the sidebar's order, with its thumbnail, the lecture's
idea it shows, a link and one line."""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from explorer import lecture
from explorer.ui import pages
from explorer.ui.declare import PageSpec

COLUMNS = 3


def lecture_map(outline: Sequence[PageSpec]) -> None:
    for start in range(0, len(outline), COLUMNS):
        row = outline[start : start + COLUMNS]
        for number, (column, page) in enumerate(zip(st.columns(COLUMNS), row, strict=False), start + 1):
            with column.container(border=True):
                thumbnail = lecture.thumbnail(page.stem)
                if thumbnail.exists():
                    st.image(str(thumbnail), width="stretch")
                st.markdown(f"**{number}. {page.idea}**")
                pages.link(page.path, page.title, icon=":material/arrow_forward:")
                st.caption(page.summary)
