"""A drawing canvas for digits (streamlit-drawable-canvas), preprocessed as MNIST was, with its own Clear button.

The canvas's own undo/redo/reset toolbar only shows while the pointer hovers over it, in the corner of a black
square; a lecturer needs a button that is always there. "Clear the canvas" starts a fresh drawing by giving the
canvas a new key (a counter kept in the session), so nothing else that a page keeps is touched.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from explorer.data import drawing
from explorer.figures.images import upscale

CANVAS_SIZE = 280  # 10× MNIST, so a finger or a mouse draws comfortably; a page gives it a column this wide
CLEAR_LABEL = "Clear the canvas"


def canvas_key(key: str) -> str:
    """The key of the canvas now shown: `key` itself until the first clear, then `key` and the clear count."""
    cleared = st.session_state.get(f"{key}_cleared", 0)
    return key if cleared == 0 else f"{key}_{cleared}"


def clear(key: str) -> None:
    """Start a fresh drawing on the canvas `key` (its next run gets a new key, hence an empty canvas)."""
    st.session_state[f"{key}_cleared"] = st.session_state.get(f"{key}_cleared", 0) + 1


def draw_digit(key: str) -> np.ndarray | None:
    """A canvas, white on black, and a Clear button under it; returns the (28, 28) MNIST-like image, or None
    (with a hint) while empty."""
    # imported here: the package raises on import outside a running Streamlit script
    from streamlit_drawable_canvas import st_canvas

    result = st_canvas(stroke_width=18, stroke_color="#FFFFFF", background_color="#000000", height=CANVAS_SIZE,
                       width=CANVAS_SIZE, drawing_mode="freedraw", return_image_data=True, key=canvas_key(key))
    st.button(CLEAR_LABEL, icon=":material/ink_eraser:", key=f"{key}_clear", on_click=clear, args=(key,),
              help="Wipe the drawing and start again.")
    if result is None or result.image_data is None:
        st.info("Draw a digit on the black square.")
        return None
    try:
        image = drawing.to_mnist(result.image_data)
    except drawing.EmptyDrawing as hint:
        st.info(str(hint))
        return None
    st.image(upscale(image, 4), width=140, caption="as the model sees it: 20×20 box, centred by mass in 28×28")
    return image
