"""β, σ and posterior collapse: live knobs, the rate–distortion plane, KL per unit, traversals, MIG."""

import streamlit as st

from explorer import collapse as collapse_cases
from explorer import metrics
from explorer import sweep as sweeps
from explorer.models.common import reconstruction_nll
from explorer.models.vae import VAE
from explorer.ui import beta_views, collapse_views, pages, presets
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
    ["Live β and σ", "Rate–distortion sweep", "Posterior collapse", "Traversals and MIG", "Blurry or sharp"])

with live:
    st.markdown("**A Gaussian decoder is a scaled L2 loss**, so β and σ² trade against each other:")
    st.latex(r"-\log \mathcal{N}(x;\mu,\sigma^2 I) = \frac{\|x-\mu\|^2}{2\sigma^2} + d\log\sigma"
             r" + \tfrac{d}{2}\log 2\pi"
             r"\quad\Rightarrow\quad D + \beta R = \frac{\|x-\mu\|^2 + 2\sigma^2\beta\,R}{2\sigma^2} + \text{const}")
    st.caption("d is the number of pixels. Only σ²β matters: doubling σ² acts like doubling β. "
               "Pick the Gaussian decoder to get the σ slider; β, σ and free bits act on the next training step.")
    beta_views.live_panel(dataset_name)
    show_code(VAE.loss, reconstruction_nll)

with sweep:
    st.markdown("Train one model per β and place each on the **rate–distortion plane** (Alemi et al. 2018). "
                "Dashed lines have slope −1: along each, R + D = −ELBO is constant, so β = 1 models sit "
                "near the lowest one, while large β buys a low rate with distortion.")
    beta_views.sweep_view(dataset_name)
    show_code(metrics.rate_distortion, sweeps.run_sweep)

with collapse:
    st.markdown("A unit is **active** when its posterior mean moves with x (Burda et al. 2016); it is "
                "**collapsed** when q(z_u|x) is the prior for almost every x (Lucas et al. 2019). "
                "**Free bits** (Kingma et al. 2016) make each unit's first λ nats of KL free; "
                "**KL warm-up** (Bowman et al. 2016) ramps β up from 0.")
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

with traversals:
    st.markdown("Decode while one latent unit moves from −3 to 3 and the others stay put (Higgins et al. 2017). "
                "With a larger β, more rows change one factor only (position, size, shape…), and the mutual "
                "information gap (MIG, Chen et al. 2018) against the true factors rises.")
    beta_views.traversal_view(dataset_name)
    show_code(metrics.latent_traversal, metrics.mig_of_model)

with samples:
    st.markdown("The same inputs reconstructed, and prior samples, by models of different β: "
                "a larger β means blurrier reconstructions, but samples that look more like the data.")
    beta_views.samples_view(dataset_name)
