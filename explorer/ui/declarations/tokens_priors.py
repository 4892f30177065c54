"""The Tokens and priors page: the VQ-VAE as a tokenizer, and an autoregressive prior over its tokens."""

from __future__ import annotations

import streamlit as st

from explorer.models.prior import TokenPrior
from explorer.models.vqvae import VQVAE
from explorer.training import tokens
from explorer.ui import training
from explorer.ui.declarations.shared import HELD_OUT_MAX, SEED
from explorer.ui.declare import PageSpec, TabSpec, latex, markdown
from explorer.ui.state import Choice, Range
from explorer.ui.views import tokens_priors as token_views

INTRO = (markdown("A VQ-VAE turns an image into a small grid of **tokens**, code numbers from its codebook. It is "
                  "trained with a uniform prior, so drawing the tokens independently gives noise. Fit an "
                  "**autoregressive prior** over the token grids of the training set and sample from it, one "
                  "token at a time in raster order (van den Oord et al. 2017): that is how VQ-VAEs generate."),
         latex(r"p(c) = \prod_{t=1}^{T} p(c_t \mid c_{<t}),\qquad "
               r"\text{uniform: } -\log p(c_t) = \log K \text{ nats per token}"))

TAB = "tokens_tab"
TOKEN_ROWS = 7  # mnist-vqvae's token grid is 7×7: "Token rows kept" runs from 0 to 6
SAMPLE, COMPLETE = "Sample", "Complete an image"


def models_header():
    """The shipped VQ-VAE and its held-out set; without them the page ends with the remedy."""
    found = token_views.models_or_remedy()
    if found is None:
        st.stop()
    return found


def tokens_view(found) -> None:
    token_views.token_view(*found)


def prior_view(found) -> None:
    vq, _ = found
    token_views.live_panel(token_views.codes("train"), token_views.codes("test"), vq.config.codebook_size)
    token_views.heldout_numbers(vq)  # the shipped prior's numbers, to compare with: below the panel's picture


def sample_view(found) -> None:
    token_views.sample_view(found[0])


def complete_view(found) -> None:
    token_views.completion_view(*found)


PAGE = PageSpec(
    intro=INTRO,
    stem="tokens_priors", title="Tokens and priors", icon=":material/token:", section="Discrete latents",
    idea="Generation, tokens and autoregressive priors",
    summary="An image as a grid of tokens; samples from uniform codes and from a learned prior that writes new "
            "grids and completes images.",
    header=models_header,
    tabs=(TabSpec("Tokens", tokens_view, "tokens", code=(tokens.encode_codes, VQVAE.codes, tokens.decode_codes)),
          TabSpec("Train a prior", prior_view, "prior", code=(TokenPrior.logits, TokenPrior.loss)),
          TabSpec(SAMPLE, sample_view, "sample", code=(TokenPrior.sample,)),
          TabSpec(COMPLETE, complete_view, "complete", code=(tokens.complete,))),
    tab_key=TAB,
    knobs={
        "tokens_index": Range(0, HELD_OUT_MAX, 1, 0),
        "tokens_temperature": Choice(token_views.TEMPERATURES, 1.0),
        "tokens_top_k": Choice(token_views.TOP_K, "all"),
        "tokens_seed": SEED,  # the widget starts at the sidebar's seed, 0 unless changed there
        "tokens_complete_index": Range(0, HELD_OUT_MAX, 1, 3),
        "tokens_keep_rows": Range(0, TOKEN_ROWS - 1, 1, TOKEN_ROWS // 2),
        "tokens_complete_temperature": Choice(token_views.TEMPERATURES, 1.0),
        f"{token_views.LIVE_KEY}_steps": Choice(token_views.STEPS, token_views.STEPS[len(token_views.STEPS) // 2]),
        **training.slow_knob(token_views.LIVE_KEY),
    },
    presets={
        "Temperature too high": {TAB: SAMPLE, "tokens_temperature": 2.0},
        "Temperature too low": {TAB: SAMPLE, "tokens_temperature": 0.3},
        "Greedy: top-k 1": {TAB: SAMPLE, "tokens_top_k": 1},
        "Complete from one row": {TAB: COMPLETE, "tokens_keep_rows": 1},
        "Complete from six rows": {TAB: COMPLETE, "tokens_keep_rows": 6},
    },
)
