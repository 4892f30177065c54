"""Categorical VAE: discrete latents trained through the Gumbel-softmax relaxation, τ live."""

import streamlit as st

from explorer.models.gumbel import GumbelVAE, kl_to_uniform
from explorer.train import Trainer
from explorer.ui import cache, gumbel_views, notes, pages, presets
from explorer.ui.code import show_code

pages.ensure_app_navigation()

st.title("Categorical VAE")
st.markdown("Replace the Gaussian latent by **N groups of K categories**. Sampling a category has no gradient, "
            "so training uses the **Gumbel-softmax** relaxation (Jang et al. 2017; Maddison et al. 2017): a point "
            "inside the simplex that becomes one-hot as the temperature τ goes to 0.")
st.latex(r"y = \mathrm{softmax}\!\left(\frac{\log \pi + g}{\tau}\right),\quad g_k \sim \mathrm{Gumbel}(0, 1)"
         r"\qquad \mathrm{KL}(q\,\|\,\mathrm{Unif}) = \sum_{n}\sum_{k} q_{nk}\log(K\,q_{nk})")

presets.use("categorical_vae")
pretrained, own = st.tabs(["Pretrained on MNIST", "Train your own"], key="gumbel_tab", on_change="rerun")

if pretrained.open:
    with pretrained:
        notes.show("categorical_vae", "Pretrained on MNIST")
        gumbel_views.pretrained_tab()
        show_code(GumbelVAE.codes, GumbelVAE.loss, kl_to_uniform)

if own.open:
    with own:
        notes.show("categorical_vae", "Train your own")
        dataset_name = pages.dataset_picker(("digits", "mnist"), key="gumbel_dataset")
        gumbel_views.live_panel(cache.dataset(dataset_name, "train"), cache.dataset(dataset_name, "test"))
        show_code(GumbelVAE.codes, GumbelVAE.loss, Trainer.step_knobs)  # step_knobs anneals τ
