"""Draw and compare: your digit through every pretrained model, side by side."""

from explorer.ui.outline import page
from explorer.ui.render import render

render(page("draw_compare"))  # declared in explorer/ui/declarations/draw_compare.py
