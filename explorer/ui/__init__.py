"""The Streamlit seam: the only part of `explorer` that imports Streamlit.

Cached loaders, the shared sidebar, the latent-map component and the training panel live here,
so pages stay a few lines of widgets in and figures out.
"""
