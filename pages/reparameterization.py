"""The reparameterization trick: z = μ + σ·ε, and the pathwise against the score-function gradient."""

from explorer.ui.outline import page
from explorer.ui.render import render

render(page("reparameterization"))  # declared in explorer/ui/declarations/reparameterization.py
