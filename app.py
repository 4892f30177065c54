"""Latent Lab: the live companion to a lecture on variational autoencoders.

Run with `streamlit run app.py`. The navigation groups the pages by the lecture's sections, as the pages'
declarations say (`explorer.ui.outline`).
"""

import streamlit as st

from explorer.ui import navigation, session

session.page_config()

app_navigation = st.navigation(navigation.navigation_pages())
session.sidebar()
app_navigation.run()
