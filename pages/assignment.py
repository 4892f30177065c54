"""Assignment: a VAE on toy data. The reference solution, trained live, with its source code."""

from explorer.ui.outline import page
from explorer.ui.render import render

render(page("assignment"))  # declared in explorer/ui/declarations/assignment.py
