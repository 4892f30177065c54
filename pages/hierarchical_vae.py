"""Hierarchical VAE: groups of latents on latents, a KL per group (Ladder VAE; NVAE)."""

from explorer.ui.outline import page
from explorer.ui.render import render

render(page("hierarchical_vae"))  # declared in explorer/ui/declarations/hierarchical_vae.py
