"""Home: the lecture's outline as a map, each idea a link to the page that shows it."""

from explorer.ui.outline import page
from explorer.ui.render import render

render(page("home"))  # declared in explorer/ui/outline.py
