"""VQ-VAE: a codebook latent (van den Oord et al. 2017), its health while it trains, and why it is sharp."""

import streamlit as st

from explorer.models.quantizer import VectorQuantizer
from explorer.models.vqvae import VQVAE
from explorer.ui import cache, pages, presets, vq_views
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
st.caption("What to try: K = 512 without k-means init or reset — most codes die and the perplexity stays low; "
           "switch both on and nearly every code is used. Commitment β = 0 lets the encoder drift away from its "
           "codes; a large β pins it to them.")

presets.use("vq_vae")
pretrained, live, compare = st.tabs(["Pretrained codebook", "Train your own", "Blurry vs sharp"])

with pretrained:
    st.markdown("How often each code is picked on held-out images (**perplexity** exp H(usage) is the number "
                "of codes in effective use; a **dead code** is never picked), and the codebook among the "
                "encoder outputs z_e, projected on their two principal directions.")
    vq_views.pretrained_tab()
    show_code(VectorQuantizer.forward, VQVAE.loss)

with live:
    dataset_name = pages.dataset_picker(("mnist", "digits", "sprites"), key="vq_dataset")
    vq_views.live_panel(cache.dataset(dataset_name, "train"), cache.dataset(dataset_name, "test"))

with compare:
    st.markdown("A VAE with a Gaussian latent at each of the 7×7 positions and a VQ-VAE with a codebook there: "
                "same encoder, same decoder, same data and training steps — **the latent is the only "
                "difference**. The VAE pays for every nat of information in its KL term and averages what it "
                "cannot afford; the VQ-VAE's codes carry up to 49 · log K nats at a fixed cost.")
    vq_views.blurry_vs_sharp_tab()
