"""A drawing canvas for digits (streamlit-drawable-canvas), preprocessed as MNIST was."""

from __future__ import annotations

import numpy as np
import streamlit as st

from explorer.data import drawing
from explorer.figures.images import upscale

CANVAS_SIZE = 280  # 10× MNIST, so a finger or a mouse draws comfortably


def draw_digit(key: str) -> np.ndarray | None:
    """A canvas, white on black; returns the (28, 28) MNIST-like image, or None (with a hint) while empty."""
    # imported here: the package raises on import outside a running Streamlit script
    from streamlit_drawable_canvas import st_canvas

    result = st_canvas(stroke_width=18, stroke_color="#FFFFFF", background_color="#000000", height=CANVAS_SIZE,
                       width=CANVAS_SIZE, drawing_mode="freedraw", return_image_data=True, key=key)
    if result is None or result.image_data is None:
        st.info("Draw a digit on the black square.")
        return None
    try:
        image = drawing.to_mnist(result.image_data)
    except drawing.EmptyDrawing as hint:
        st.info(str(hint))
        return None
    st.image(upscale(image, 4), caption="as the model sees it: 20×20 box, centred by mass in 28×28")
    return image
