"""Hierarchical VAE: groups of latents on latents, a KL per group (Ladder VAE; NVAE)."""

import streamlit as st

from explorer.models.hvae import HierarchicalVAE, kl_normal_normal
from explorer.train import Trainer
from explorer.ui import cache, hvae_views, notes, pages, presets
from explorer.ui.code import show_code

pages.ensure_app_navigation()

st.title("Hierarchical VAE")
st.markdown("Stack the latents: a small **top group z_L** and larger groups below it, each drawn given the "
            "ones above, p(z) = p(z_L) Π p(z_l | z_>l). The encoder reads x bottom-up, then q walks the same "
            "top-down path, so every group's posterior q(z_l | z_>l, x) sees both x and the groups above "
            "(Sønderby et al. 2016, Ladder VAE; Vahdat & Kautz 2020, NVAE). The KL splits into one term per group:")
st.latex(r"\log p(x) \;\ge\; \mathbb{E}_{q(z|x)}\!\left[\log p(x \mid z)\right] \;-\; \sum_{l=1}^{L}"
         r"\mathbb{E}_{q(z_{>l}|x)}\!\left[\mathrm{KL}\!\left(q(z_l \mid z_{>l}, x)\,\|\,p(z_l \mid z_{>l})\right)"
         r"\right]")
st.caption("Both sides of each KL are Gaussians, so each term is computed in closed form at one sample of the "
           "groups above. Free bits per group (Kingma et al. 2016) and KL warm-up keep the upper groups alive. "
           "Here z₁ is next to x and z_L is the top.")

presets.use("hierarchical_vae")
pretrained, own = st.tabs(["Pretrained on MNIST", "Train your own"], key="hvae_tab", on_change="rerun")

if pretrained.open:
    with pretrained:
        notes.show("hierarchical_vae", "Pretrained on MNIST")
        hvae_views.pretrained_tab()
        show_code(HierarchicalVAE.walk, HierarchicalVAE.loss)

if own.open:
    with own:
        notes.show("hierarchical_vae", "Train your own")
        dataset_name = pages.dataset_picker(("digits", "mnist"), key="hvae_dataset")
        hvae_views.live_panel(cache.dataset(dataset_name, "train"), cache.dataset(dataset_name, "test"))
        show_code(HierarchicalVAE.loss, kl_normal_normal, Trainer.step_knobs)  # step_knobs: the KL warm-up

presets.publish("hierarchical_vae")  # a "New …" button changed a seed in this run
