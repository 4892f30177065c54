"""Widgets many pages share."""

from __future__ import annotations

import streamlit as st
from streamlit.errors import StreamlitPageNotFoundError

from explorer import data

LABELS = {"mnist": "MNIST 28×28", "digits": "scikit-learn digits 8×8", "sprites": "Sprites 28×28"}


def dataset_picker(choices: tuple[str, ...], key: str) -> str:
    """A dataset choice; a set that cannot be loaded here is reported with its remedy and skipped."""
    usable, problems = [], []
    for name in choices:
        try:
            data.load(name, "test")
            usable.append(name)
        except data.DatasetUnavailable as err:
            problems.append(f"**{name}** is not available: {err}")
    for problem in problems:
        st.warning(problem)
    if not usable:
        st.error("No dataset for this page can be loaded on this machine.")
        st.stop()
    return st.radio("Data", usable, format_func=lambda n: LABELS.get(n, n), horizontal=True, key=key)


def link(page: str, label: str, icon: str | None = None) -> None:
    """A link to another page; plain text when the page runs outside the app's navigation
    (alone under AppTest), where Streamlit knows no other pages."""
    try:
        st.page_link(page, label=label, icon=icon)
    except StreamlitPageNotFoundError:
        st.markdown(f"- {label}")


def pretrained_picker(choices: dict[str, str], key: str) -> str:
    """A choice among pretrained models (name -> label); those not shipped, or whose data cannot be
    loaded here, are left out with a note that names the remedy."""
    from explorer.store import zoo

    usable = []
    for name in (n for n in choices if n in zoo.names()):
        try:
            data.load(zoo.entry(name)["dataset"], "test")
            usable.append(name)
        except data.DatasetUnavailable as err:
            st.warning(f"**{choices[name]}** needs data that is not available: {err}")
    if not usable:
        st.error("None of this page's models can be shown here: run `python -m explorer pretrain`, "
                 "and make MNIST available (see the README).")
        st.stop()
    return st.radio("Model", usable, format_func=choices.get, horizontal=True, key=key)
