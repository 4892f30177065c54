"""Latent Lab's backend: data, models, objectives, training, checkpoints and figures.

Nothing here imports Streamlit except `explorer.ui`; pages are thin wrappers around it.
"""

__version__ = "0.1.0"
