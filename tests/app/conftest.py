"""Fixtures of the AppTests: an empty zoo of the test's own, with fresh Streamlit caches."""

from __future__ import annotations

import pytest
import streamlit as st

from explorer.store import zoo


@pytest.fixture
def zoo_dir(tmp_path, monkeypatch):
    """An empty zoo of our own, and fresh caches: what the page finds is what the test put there."""
    monkeypatch.setattr(zoo, "PRETRAINED_DIR", tmp_path)
    st.cache_data.clear()
    st.cache_resource.clear()
    yield tmp_path
    st.cache_data.clear()
    st.cache_resource.clear()
