"""Tokens and priors: the VQ-VAE as a tokenizer, and an autoregressive prior over its tokens."""

import streamlit as st

from explorer import tokens
from explorer.models.prior import TokenPrior
from explorer.models.vqvae import VQVAE
from explorer.ui import notes, pages, presets, token_views
from explorer.ui.code import show_code

pages.ensure_app_navigation()

st.title("Tokens and priors")
st.markdown("A VQ-VAE turns an image into a small grid of **tokens**, code numbers from its codebook. It is "
            "trained with a uniform prior, so drawing the tokens independently gives noise. Fit an "
            "**autoregressive prior** over the token grids of the training set and sample from it, one token at "
            "a time in raster order (van den Oord et al. 2017): that is how VQ-VAEs generate.")
st.latex(r"p(c) = \prod_{t=1}^{T} p(c_t \mid c_{<t}),\qquad "
         r"\text{uniform: } -\log p(c_t) = \log K \text{ nats per token}")

presets.use("tokens_priors")
found = token_views.models_or_remedy()
if found is not None:
    vq, test = found
    grid, train, sample, complete = st.tabs(["Tokens", "Train a prior", "Sample", "Complete an image"],
                                            key="tokens_tab", on_change="rerun")
    if grid.open:
        with grid:
            notes.show("tokens_priors", "Tokens")
            token_views.token_view(vq, test)
            show_code(tokens.encode_codes, VQVAE.codes, tokens.decode_codes)
    if train.open:
        with train:
            notes.show("tokens_priors", "Train a prior")
            token_views.heldout_numbers(vq)
            token_views.live_panel(token_views.codes("train"), token_views.codes("test"), vq.config.codebook_size)
            show_code(TokenPrior.logits, TokenPrior.loss)
    if sample.open:
        with sample:
            notes.show("tokens_priors", "Sample")
            token_views.sample_view(vq)
            show_code(TokenPrior.sample)
    if complete.open:
        with complete:
            notes.show("tokens_priors", "Complete an image")
            token_views.completion_view(vq, test)
            show_code(tokens.complete)
