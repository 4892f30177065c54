"""Latent space: autoencoder vs VAE, decode anywhere, the manifold, interpolation, train your own."""

import streamlit as st

from explorer import latent
from explorer.lecture_notes_gaussian import LATENT_SPACE_OBJECTIVES
from explorer.models.ae import Autoencoder
from explorer.models.vae import VAE
from explorer.train import Trainer
from explorer.ui import latent_views, notes, pages, presets
from explorer.ui.code import show_code

pages.ensure_app_navigation()

st.title("Latent space")
st.markdown("*How do we sample in the latent space?* An autoencoder compresses well but leaves holes; "
            "the VAE's prior fills the plane. Every model here has a 2-D latent, so the whole space fits on screen.")
st.latex(LATENT_SPACE_OBJECTIVES)  # the losses the shipped models were trained with (cross-entropy for the AE)

presets.use("latent_space")
dataset_name = pages.dataset_picker(("mnist", "digits"), key="latent_dataset")

# Lazy tabs: only the open tab runs and reaches the browser, so a student who trains and then looks at the maps
# does not redraw the training charts every second in a hidden tab (BENCHMARKS.md, issue 11).
compare, explore, interpolate, train = st.tabs(
    ["AE vs VAE", "Drag through latent space", "Interpolation", "Train your own"], key="latent_tab", on_change="rerun")
if compare.open:
    with compare:
        notes.show("latent_space", "AE vs VAE")
        latent_views.ae_vs_vae(dataset_name)
        show_code(Autoencoder.loss, VAE.loss)
if explore.open:
    with explore:
        notes.show("latent_space", "Drag through latent space")
        latent_views.hover_and_manifold(dataset_name)
        show_code(latent.decode_points, latent.manifold_grid)
if interpolate.open:
    with interpolate:
        notes.show("latent_space", "Interpolation")
        latent_views.interpolation(dataset_name)
        show_code(latent.lerp, latent.slerp)
if train.open:
    with train:
        notes.show("latent_space", "Train your own")
        latent_views.train_your_own(dataset_name)
        show_code(Trainer.step, VAE.loss)
