"""Latent space: autoencoder vs VAE, decode anywhere, the manifold, interpolation, train your own."""

from explorer.ui.outline import page
from explorer.ui.render import render

render(page("latent_space"))  # declared in explorer/ui/declarations/latent_space.py
