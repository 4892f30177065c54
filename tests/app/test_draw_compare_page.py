"""Draw and compare's canvas: it fits its column at 1280×720 (it was 280 px in a 219 px column, its right quarter
under the results) and the page's own Clear button starts a fresh drawing (the canvas's toolbar only shows on
hover, black on the black square) while digit A is kept."""

from __future__ import annotations

import sys
import types

import numpy as np
import pytest
from apptest import assert_clean, open_page
from layout_widths import width_of_markdown

from explorer.ui import canvas


def a_stroke() -> np.ndarray:
    """A "1": a white vertical bar on a transparent 280×280 canvas, as the component returns it."""
    image = np.zeros((canvas.CANVAS_SIZE, canvas.CANVAS_SIZE, 4), dtype=np.uint8)
    image[40:240, 130:150] = 255
    return image


@pytest.fixture
def fake_canvas(monkeypatch):
    """streamlit-drawable-canvas replaced: it writes a marker where the canvas would be and records each call;
    only the first canvas ("compare_canvas") has a drawing on it, a fresh key is an empty canvas."""
    calls = []

    def st_canvas(**kwargs):
        import streamlit as st

        calls.append(kwargs)
        st.markdown("FAKE CANVAS")
        drawn = a_stroke() if kwargs["key"] == "compare_canvas" else None
        return types.SimpleNamespace(image_data=drawn)

    fake = types.ModuleType("streamlit_drawable_canvas")
    fake.st_canvas = st_canvas
    monkeypatch.setitem(sys.modules, "streamlit_drawable_canvas", fake)
    return calls


def test_the_canvas_fits_its_column_at_1280_by_720(zoo_dir, fake_canvas):
    at = open_page("draw_compare.py")
    width = fake_canvas[-1]["width"]
    column = width_of_markdown(at.main, "FAKE CANVAS")
    assert column is not None and column >= width, f"a {width} px canvas in a {column} px column"


def test_clear_starts_a_fresh_drawing_and_keeps_digit_a(zoo_dir, fake_canvas):
    at = open_page("draw_compare.py")
    assert any(info.value.startswith("No pretrained MNIST models") for info in at.info)  # the drawing was read
    at.button(key="compare_keep").click().run()
    assert_clean(at)
    assert at.session_state["compare_first"] is not None
    clear = at.button(key="compare_canvas_clear")
    assert clear.label == canvas.CLEAR_LABEL
    clear.click().run()
    assert_clean(at)
    assert fake_canvas[-1]["key"] != "compare_canvas"  # a new key: a fresh, empty canvas
    assert any("Draw a digit" in info.value for info in at.info)
    assert at.session_state["compare_first"] is not None  # digit A kept for the interpolation
    assert any(button.label == "Forget digit A" for button in at.button)
    clear.click().run()  # and again: every clear is a fresh canvas
    assert len({call["key"] for call in fake_canvas}) == 3
