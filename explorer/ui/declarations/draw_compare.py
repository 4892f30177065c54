"""The Draw and compare page: your digit through every pretrained model, side by side."""

from __future__ import annotations

import streamlit as st

from explorer.analysis import compare
from explorer.data import drawing
from explorer.ui import canvas
from explorer.ui.declare import MAIN, PageSpec, TabSpec, markdown
from explorer.ui.views import draw_compare as compare_views

INTRO = (markdown("Draw a digit. It is preprocessed as MNIST was (its bounding box scaled into 20×20, centred by "
                  "its centre of mass in 28×28), then **every pretrained MNIST model** reconstructs it. Blurry or "
                  "sharp, close or far: the numbers say which model explains your digit best."),)
CANVAS_COLUMN = canvas.CANVAS_SIZE + 8  # the canvas and its 1 px outline, never clipped


def main_view() -> None:
    """The canvas in a column as wide as the canvas (it was a quarter of the page, 219 px for 280 px: its right
    edge lay under the results), the results beside it, wrapping below on a narrow screen."""
    with st.container(horizontal=True, gap="medium"):
        left = st.container(width=CANVAS_COLUMN)
        right = st.container(width="stretch")
    with left:
        image = canvas.draw_digit(key="compare_canvas")
        first = st.session_state.get("compare_first")
        if image is not None:
            st.button("Keep as digit A", icon=":material/push_pin:", key="compare_keep",
                      on_click=lambda: st.session_state.update(compare_first=image),
                      help=f"Then press “{canvas.CLEAR_LABEL}” and draw digit B: the page interpolates "
                           "between the two.")
        if first is not None:
            st.button("Forget digit A", key="compare_forget", on_click=lambda: st.session_state.pop("compare_first"))
    with right:
        if image is None:
            st.info("The reconstructions appear here as soon as you draw.")
        else:
            compare_views.reconstructions_view(image)
            compare_views.latent_view(image, first)


PAGE = PageSpec(
    intro=INTRO,
    stem="draw_compare", title="Draw and compare", icon=":material/draw:", section="Your own input",
    idea="Your own digit", summary="Draw a digit; every model reconstructs it, with its error and likelihood.",
    tabs=(TabSpec(MAIN, main_view, MAIN, code=(drawing.to_mnist, compare.compare, compare.likelihood)),),
)
