"""β, σ and posterior collapse: live knobs, the rate–distortion plane, KL per unit, traversals, MIG."""

from explorer.ui.outline import page
from explorer.ui.render import render

render(page("beta_sigma"))  # declared in explorer/ui/declarations/beta_sigma.py
