"""ELBO and the gap: exact log p(x) for a 2-D latent, every bound, KL(q ‖ p(z|x)) and its two parts."""

from explorer.ui.outline import page
from explorer.ui.render import render

render(page("elbo_gap"))  # declared in explorer/ui/declarations/elbo_gap.py
