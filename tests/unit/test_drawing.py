"""The canvas-to-MNIST preprocessing against hand-computed cases."""

import numpy as np
import pytest

from explorer.data.drawing import EmptyDrawing, centre_of_mass, ink, to_mnist


def stroke_canvas():
    """A 280×280 RGBA canvas with one white vertical bar, 40 wide and 200 tall, off-centre."""
    canvas = np.zeros((280, 280, 4), dtype=np.uint8)
    canvas[30:230, 10:50] = 255
    return canvas


def test_bar_is_scaled_into_20_pixels_and_centred():
    image = to_mnist(stroke_canvas())
    assert image.shape == (28, 28) and image.dtype == np.float32
    rows, cols = np.nonzero(image > 0.5)
    assert rows.max() - rows.min() + 1 == 20  # 200 px tall -> the 20-pixel box
    assert 3 <= cols.max() - cols.min() + 1 <= 5  # 40 px wide -> 4 pixels, aspect kept
    com = centre_of_mass(image)
    assert abs(com[0] - 14) <= 0.6 and abs(com[1] - 14) <= 0.6  # centre of mass at the field's centre


def test_ink_reads_rgba_and_grey():
    canvas = stroke_canvas()
    assert ink(canvas).max() == 1.0
    transparent = canvas.copy()
    transparent[..., 3] = 0
    assert ink(transparent).max() == 0.0
    np.testing.assert_array_equal(ink(canvas[..., 0]), ink(canvas))


def test_empty_and_flooded_canvases_are_refused_with_a_hint():
    with pytest.raises(EmptyDrawing, match="empty"):
        to_mnist(np.zeros((280, 280, 4), dtype=np.uint8))
    with pytest.raises(EmptyDrawing, match="mostly ink"):
        to_mnist(np.full((280, 280, 4), 255, dtype=np.uint8))


def test_a_filled_square_lands_exactly_where_a_hand_computation_puts_it():
    """200×200 of ink -> crop 200×200 -> scaled by 20/200 to 20×20 of ones; its centre of mass (9.5, 9.5)
    goes to (14, 14): top-left corner at round(14 − 9.5) = 4 (round half to even), so rows and cols 4..23."""
    canvas = np.zeros((280, 280), dtype=np.uint8)
    canvas[60:260, 20:220] = 255
    expected = np.zeros((28, 28), dtype=np.float32)
    expected[4:24, 4:24] = 1.0
    np.testing.assert_allclose(to_mnist(canvas), expected, atol=1e-6)


@pytest.mark.parametrize("image_data, hint", [
    (None, "Draw a digit on the black square."),
    (np.zeros((280, 280, 4), dtype=np.uint8), "empty"),
    (np.full((280, 280, 4), 255, dtype=np.uint8), "mostly ink"),
], ids=["untouched", "empty", "full-of-ink"])
def test_the_canvas_widget_shows_a_hint_not_a_traceback(image_data, hint, monkeypatch):
    """`canvas.draw_digit` on a page: a blank or flooded drawing gets an info line and no image."""
    import sys
    import types

    from streamlit.testing.v1 import AppTest

    fake = types.ModuleType("streamlit_drawable_canvas")
    fake.st_canvas = lambda **kwargs: types.SimpleNamespace(image_data=image_data)
    monkeypatch.setitem(sys.modules, "streamlit_drawable_canvas", fake)

    def script():
        import streamlit as st

        from explorer.ui import canvas

        st.session_state["drawn"] = canvas.draw_digit("digit")

    at = AppTest.from_function(script)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert any(hint in i.value for i in at.info) and at.session_state["drawn"] is None
