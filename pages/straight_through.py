"""Discrete latents: Gumbel-max sampling, the Gumbel-softmax relaxation, straight-through gradients."""

from explorer.ui.outline import page
from explorer.ui.render import render

render(page("straight_through"))  # declared in explorer/ui/declarations/straight_through.py
