"""VQ-VAE: a codebook latent (van den Oord et al. 2017), its health while it trains, and why it is sharp."""

import streamlit as st

from explorer import metrics, vq
from explorer.models.quantizer import VectorQuantizer, perplexity
from explorer.models.vqvae import VQVAE
from explorer.ui import cache, notes, pages, presets, vq_views
from explorer.ui.code import show_code

pages.ensure_app_navigation()

st.title("VQ-VAE")
st.markdown("Replace the Gaussian latent by a **codebook** of K vectors e_1 … e_K (van den Oord et al. 2017). "
            "The encoder's output z_e at every grid position is snapped to its nearest code, z_q = e_k: an image "
            "becomes a grid of tokens. The decoder sees only those codes.")
st.latex(r"\mathcal{L} = -\log p(x \mid z_q(x)) + \big\|\mathrm{sg}[z_e(x)] - e\big\|_2^2"
         r" + \beta\,\big\|z_e(x) - \mathrm{sg}[e]\big\|_2^2")
st.caption("sg[·] is the stop-gradient. The codebook loss moves the codes towards the encoder outputs; the "
           "commitment loss (weight β) keeps the encoder close to its codes. The nearest-code argmin has no "
           "gradient, so the decoder's gradient is copied straight through to the encoder:")
st.latex(r"z_q^{\mathrm{ST}} = z_e + \mathrm{sg}[z_q - z_e]\quad\Rightarrow\quad"
         r"\frac{\partial \mathcal{L}}{\partial z_e} := \frac{\partial \mathcal{L}}{\partial z_q}")

presets.use("vq_vae")
pretrained, live, compare = st.tabs(["Pretrained codebook", "Train your own", "Blurry vs sharp"],
                                    key="vq_tab", on_change="rerun")

if pretrained.open:
    with pretrained:
        notes.show("vq_vae", "Pretrained codebook")
        vq_views.pretrained_tab()
        show_code(VectorQuantizer.forward, VQVAE.loss)

if live.open:
    with live:
        notes.show("vq_vae", "Train your own")
        dataset_name = pages.dataset_picker(("mnist", "digits", "sprites"), key="vq_dataset")
        vq_views.live_panel(cache.dataset(dataset_name, "train"), cache.dataset(dataset_name, "test"))
        # the toggles of this tab: EMA codebook, k-means init, dead-code reset; and the perplexity it plots
        show_code(VectorQuantizer._ema_update, VectorQuantizer._kmeans_init, VectorQuantizer._reset_dead_codes,
                  perplexity)

if compare.open:
    with compare:
        notes.show("vq_vae", "Blurry vs sharp")
        vq_views.blurry_vs_sharp_tab()
        show_code(vq.compare, metrics.squared_error_per_image)
