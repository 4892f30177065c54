"""Exercises: the lecture's three exercises, worked step by step and checked live."""

from explorer.ui.outline import page
from explorer.ui.render import render

render(page("exercises"))  # declared in explorer/ui/declarations/exercises.py
