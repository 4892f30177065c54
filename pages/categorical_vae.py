"""Categorical VAE: discrete latents trained through the Gumbel-softmax relaxation, τ live."""

from explorer.ui.outline import page
from explorer.ui.render import render

render(page("categorical_vae"))  # declared in explorer/ui/declarations/categorical_vae.py
