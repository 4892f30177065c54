"""Latent Lab: the live companion to a lecture on variational autoencoders.

Run with `streamlit run app.py`. The navigation groups the pages by the lecture's sections, as the pages'
declarations say (`explorer.ui.outline`). A class (issue 24): a student's session takes the lecturer's view before
any widget is drawn (`class_room.catch_up`), and a lecturer's run ends by publishing its view.
"""

import streamlit as st

from explorer.ui import class_panel, class_room, navigation, session

navigation.app_runs()
session.page_config()
class_room.join_from_link()

app_navigation = st.navigation(navigation.navigation_pages())
class_room.catch_up(app_navigation.url_path)
session.sidebar()
class_panel.sidebar()
class_panel.main_panel()
app_navigation.run()
class_room.publish_view(app_navigation.url_path)
class_room.finish_run()
