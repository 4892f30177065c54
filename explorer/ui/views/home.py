"""The home page's lecture map: a card per page, in the sidebar's order, with its thumbnail, the lecture's
idea it shows, a link and one line."""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from explorer import lecture
from explorer.ui import pages
from explorer.ui.declare import PageSpec

COLUMNS = 3


def sidebar_order(outline: Sequence[PageSpec]) -> list[PageSpec]:
    """Each page once, as the sidebar lists it: `st.navigation` groups pages by section, the sections in the order
    they first appear (so a page declared away from its section's others still gets the sidebar's place)."""
    sections: dict[str, dict[str, PageSpec]] = {}
    for page in outline:
        sections.setdefault(page.section, {}).setdefault(page.stem, page)
    return [page for section in sections.values() for page in section.values()]


def lecture_map(outline: Sequence[PageSpec]) -> None:
    cards = sidebar_order(outline)
    for start in range(0, len(cards), COLUMNS):
        row = cards[start : start + COLUMNS]
        for number, (column, page) in enumerate(zip(st.columns(COLUMNS), row, strict=False), start + 1):
            with column.container(border=True):
                thumbnail = lecture.thumbnail(page.stem)
                if thumbnail.exists():
                    st.image(str(thumbnail), width="stretch")
                st.markdown(f"**{number}. {page.idea}**")
                pages.link(page.path, page.title, icon=":material/arrow_forward:")
                st.caption(page.summary)
