"""β, σ and posterior collapse: live knobs, the rate–distortion plane, KL per unit, traversals, MIG."""

import streamlit as st

from explorer import collapse as collapse_cases
from explorer import latent, metrics
from explorer import sweep as sweeps
from explorer.models.common import reconstruction_nll
from explorer.models.vae import VAE
from explorer.ui import beta_views, collapse_views, notes, pages, presets
from explorer.ui.code import show_code

pages.ensure_app_navigation()

st.title("β, σ and posterior collapse")
st.markdown("The ELBO is a reconstruction term minus a KL term. Weigh the KL by **β**, or widen the Gaussian "
            "decoder's **σ**, and the model buys less information about x (rate) at the price of worse "
            "reconstructions (distortion). Push too far and latent units *collapse* to the prior.")
st.latex(r"\mathcal{L}_\beta = \underbrace{-\mathbb{E}_{q(z|x)}\log p(x|z)}_{\text{distortion } D}"
         r" + \beta\,\underbrace{\mathrm{KL}(q(z|x)\,\|\,p(z))}_{\text{rate } R}"
         r"\qquad -\text{ELBO} = D + R")

presets.use("beta_sigma")
dataset_name = pages.dataset_picker(("sprites", "mnist"), key="beta_dataset")
beta_views.pretrained_notice(dataset_name)

live, sweep, collapse, traversals, samples = st.tabs(
    ["Live β and σ", "Rate–distortion sweep", "Posterior collapse", "Traversals and MIG", "Blurry or sharp"],
    key="beta_tab", on_change="rerun")

if live.open:
    with live:
        notes.show("beta_sigma", "Live β and σ")
        beta_views.live_panel(dataset_name)
        show_code(VAE.loss, reconstruction_nll)

if sweep.open:
    with sweep:
        notes.show("beta_sigma", "Rate–distortion sweep")
        beta_views.sweep_view(dataset_name)
        show_code(metrics.rate_distortion, sweeps.run_sweep)

if collapse.open:
    with collapse:
        notes.show("beta_sigma", "Posterior collapse")
        left, right = st.columns([2, 3])
        with left:
            st.subheader("KL per latent unit")
            beta_views.unit_kl_view(dataset_name)
        with right:
            st.subheader("A case of collapse, and what prevents it")
            st.markdown("Near collapse a VAE acts like a linear one, which keeps only the directions whose data "
                        "variance exceeds βσ² (Lucas et al. 2019). Below that, collapse is stable: sometimes the "
                        "optimum, sometimes a trap that a better code lies beyond.")
            collapse_views.collapse_demo_view()
        show_code(metrics.kl_per_unit, metrics.active_units, metrics.collapsed_units, collapse_cases.demo)

if traversals.open:
    with traversals:
        notes.show("beta_sigma", "Traversals and MIG")
        beta_views.traversal_view(dataset_name)
        show_code(metrics.latent_traversal, metrics.mig_of_model)

if samples.open:
    with samples:
        notes.show("beta_sigma", "Blurry or sharp")
        beta_views.samples_view(dataset_name)
        show_code(latent.encode_means, latent.decode_points, metrics.rate_distortion)
