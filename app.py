"""Latent Lab: the live companion to a lecture on variational autoencoders.

Run with `streamlit run app.py`. Pages are grouped by the lecture's sections.
"""

import streamlit as st

from explorer.ui import session

st.set_page_config(page_title="Latent Lab", page_icon=":material/explore:", layout="wide")

PAGES = {
    "Start": [st.Page("pages/home.py", title="Home", icon=":material/home:", default=True)],
    "Autoencoders and latent variables": [
        st.Page("pages/latent_space.py", title="Latent space", icon=":material/scatter_plot:"),
    ],
    "The evidence lower bound": [
        st.Page("pages/elbo_gap.py", title="ELBO and the gap", icon=":material/stacked_line_chart:"),
        st.Page("pages/beta_sigma.py", title="β, σ and posterior collapse", icon=":material/tune:"),
        st.Page("pages/reparameterization.py", title="Reparameterization", icon=":material/shuffle:"),
        st.Page("pages/vae_em.py", title="VAE as EM", icon=":material/bubble_chart:"),
    ],
    "Discrete latents": [
        st.Page("pages/vq_vae.py", title="VQ-VAE", icon=":material/apps:"),
        st.Page("pages/straight_through.py", title="Straight-through and Gumbel", icon=":material/call_split:"),
        st.Page("pages/categorical_vae.py", title="Categorical VAE", icon=":material/grid_view:"),
        st.Page("pages/tokens_priors.py", title="Tokens and priors", icon=":material/token:"),
    ],
    "Deeper models": [
        st.Page("pages/hierarchical_vae.py", title="Hierarchical VAE", icon=":material/account_tree:"),
    ],
    "Your own input": [
        st.Page("pages/draw_compare.py", title="Draw and compare", icon=":material/draw:"),
        st.Page("pages/my_models.py", title="Your models", icon=":material/upload_file:"),
    ],
    "Exercises": [
        st.Page("pages/exercises.py", title="Exercises", icon=":material/school:"),
        st.Page("pages/assignment.py", title="Assignment: a VAE on toy data", icon=":material/assignment:"),
    ],
}

navigation = st.navigation(PAGES)
session.sidebar()
navigation.run()
