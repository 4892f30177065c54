"""Tokens and priors: the VQ-VAE as a tokenizer, and an autoregressive prior over its tokens."""

from explorer.ui.outline import page
from explorer.ui.render import render

render(page("tokens_priors"))  # declared in explorer/ui/declarations/tokens_priors.py
