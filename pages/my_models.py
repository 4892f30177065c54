"""Your models: upload a checkpoint and see what it holds; download the models trained in this session."""

from explorer.ui.outline import page
from explorer.ui.render import render

render(page("my_models"))  # declared in explorer/ui/declarations/my_models.py
