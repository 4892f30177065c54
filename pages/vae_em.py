"""VAE as EM: a Gaussian mixture and k-means fitted by EM one half-step at a time; the bound touches
log p(x) after each E-step and rises at each M-step."""

from explorer.ui.outline import page
from explorer.ui.render import render

render(page("vae_em"))  # declared in explorer/ui/declarations/vae_em.py
