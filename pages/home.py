"""Home: the lecture's outline as a map, each idea a link to the page that shows it."""

import streamlit as st

from explorer.ui import home_views, pages

pages.ensure_app_navigation()

st.title("Latent Lab")
st.markdown(
    "The live companion to the lecture on **variational autoencoders**. Every idea gets a page where a "
    "small model is loaded instantly from a pretrained checkpoint, or trained in front of you in seconds, "
    "and can be pushed around by hand. Follow the lecture from left to right, top to bottom."
)
home_views.lecture_map()
