"""Tokens and priors: the VQ-VAE as a tokenizer, and an autoregressive prior over its tokens."""

import streamlit as st

from explorer import tokens
from explorer.models.prior import TokenPrior
from explorer.ui import pages, token_views
from explorer.ui.code import show_code

pages.ensure_app_navigation()

st.title("Tokens and priors")
st.markdown("A VQ-VAE turns an image into a small grid of **tokens**, code numbers from its codebook. It is "
            "trained with a uniform prior, so drawing the tokens independently gives noise. Fit an "
            "**autoregressive prior** over the token grids of the training set and sample from it, one token at "
            "a time in raster order (van den Oord et al. 2017): that is how VQ-VAEs generate.")
st.latex(r"p(c) = \prod_{t=1}^{T} p(c_t \mid c_{<t}),\qquad "
         r"\text{uniform: } -\log p(c_t) = \log K \text{ nats per token}")

found = token_views.models_or_remedy()
if found is not None:
    vq, test = found
    grid, train, sample, complete = st.tabs(["Tokens", "Train a prior", "Sample", "Complete an image"])
    with grid:
        st.caption("What to try: step through images of one digit and watch which tokens repeat.")
        token_views.token_view(vq, test)
    with train:
        st.caption("The dashed line is the uniform prior: log K nats per token, as if every token were a surprise.")
        token_views.heldout_numbers(vq)
        token_views.live_panel(token_views.codes("train"), token_views.codes("test"), vq.config.codebook_size)
        show_code(TokenPrior.logits, TokenPrior.loss)
    with sample:
        st.caption("What to try: temperature 0.5 gives clean, repetitive digits; 1.5 gives variety and noise.")
        token_views.sample_view(vq)
        show_code(TokenPrior.sample)
    with complete:
        st.caption("What to try: keep 1 row, then 4, and see the completions agree more and more.")
        token_views.completion_view(vq, test)
        show_code(tokens.complete)
