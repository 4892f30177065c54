"""The views of the "Draw and compare" page: every pretrained MNIST model on the user's digit, the
digit as a star on the 2-D VAE's latent map, and an interpolation between two drawings."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st
import torch

from explorer.analysis import compare
from explorer.figures.images import tile, upscale
from explorer.figures.latent import latent_map
from explorer.maths import latent, likelihood
from explorer.store import zoo
from explorer.ui import cache, session
from explorer.ui.figure_export import chart

KIND_LABELS = {"ae": "Autoencoder", "vae": "VAE", "convvae": "Conv VAE", "vqvae": "VQ-VAE",
               "gumbel": "Categorical VAE", "hvae": "Hierarchical VAE"}
MAP_MODEL = "mnist-vae-2d"
MAP_CODES = 1500


@st.cache_data(show_spinner=False, max_entries=64)
def comparisons(names: tuple[str, ...], image: np.ndarray, seed: int) -> list[compare.Comparison]:
    return compare.compare({name: cache.pretrained(name) for name in names}, image, seed)


def label(name: str) -> str:
    return f"{KIND_LABELS.get(zoo.entry(name)['kind'], zoo.entry(name)['kind'])} · {name}"


def reconstructions_view(image: np.ndarray) -> None:
    """One column per model: its reconstruction, squared error and likelihood."""
    names = tuple(compare.shipped_models("mnist"))
    if not names:
        st.info("No pretrained MNIST models here: run `python -m explorer pretrain`.")
        return
    results = comparisons(names, image, session.seed())
    binary = likelihood.binarise(torch.from_numpy(np.asarray(image, dtype=np.float32)).reshape(28, 28))
    scored, words = st.columns([1, 3], vertical_alignment="center")  # small: it pushed the models off the screen
    scored.image(upscale(binary.numpy(), 4), width=112)
    words.caption("Scored: your digit binarised (pixels ≥ ½ on). A Bernoulli decoder gives probabilities to binary "
                  "images, so each log p(x) and ELBO below is of this image")
    per_row = 4
    for start in range(0, len(results), per_row):
        for column, result in zip(st.columns(per_row), results[start : start + per_row], strict=False):
            column.image(upscale(result.x_hat.reshape(28, 28), 5), clamp=True, caption=label(result.name))
            score = ("no likelihood (deterministic)" if result.log_likelihood is None
                     else f"{result.likelihood_label}: **{result.log_likelihood:.1f} nats per image**")
            column.markdown(f"‖x − x̂‖² **{result.squared_error:.1f}** (sum over pixels)  \n{score}")


def map_figure(points: dict[str, np.ndarray], path: np.ndarray | None) -> go.Figure:
    codes = cache.encodings(MAP_MODEL, "mnist", MAP_CODES)
    labels = cache.dataset("mnist", "test").labels[:MAP_CODES].numpy()
    fig = latent_map(codes, labels, latent.latent_extent(codes), "Your digit in the 2-D VAE's latent space",
                     path=path, height=560)
    for (name, point), colour in zip(points.items(), ("gold", "crimson"), strict=False):
        fig.add_trace(go.Scatter(x=[point[0]], y=[point[1]], mode="markers", name=name,
                                 marker=dict(symbol="star", size=26, color=colour, line=dict(width=2, color="black"))))
    return fig


def latent_view(image: np.ndarray, first: np.ndarray | None) -> None:
    """The drawing as a star on the map; with a kept first digit, the path between them and its images."""
    if MAP_MODEL not in zoo.names():
        st.info(f"No 2-D VAE to place the digit: run `python -m explorer pretrain --only {MAP_MODEL}`.")
        return
    model = cache.pretrained(MAP_MODEL)
    points = {"your digit": compare.latent_position(model, image)}
    path = images = None
    if first is not None:
        points = {"digit A": compare.latent_position(model, first), "digit B (now)": points["your digit"]}
        path, images = compare.interpolation(model, first, image)
    chart(map_figure(points, path), width="stretch")
    if images is not None:
        st.image(upscale(tile(images.reshape(-1, 28, 28), ncols=len(images)), 3), clamp=True,
                 caption="Decoded along the straight line from digit A to digit B")
