"""Widgets many pages share."""

from __future__ import annotations

import streamlit as st

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
