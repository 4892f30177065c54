"""VQ-VAE: a codebook latent (van den Oord et al. 2017), its health while it trains, and why it is sharp."""

from explorer.ui.outline import page
from explorer.ui.render import render

render(page("vq_vae"))  # declared in explorer/ui/declarations/vq_vae.py
