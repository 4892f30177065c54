"""Figures of the hierarchical VAE page (Sønderby et al. 2016; Vahdat & Kautz 2020): the KL of each
latent group over training, held-out ELBO curves of models side by side, and image grids.
Arrays in, figures or arrays out; no Streamlit, no models."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from explorer.figures import LINE_WIDTH, PALETTE, base_layout
from explorer.figures.images import tile, upscale

SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def group_label(level: int, levels: int) -> str:
    """'z₃ (top)', 'z₂', 'z₁ (next to x)': group l of L, in the paper's numbering (z_1 next to x)."""
    name = f"z{str(level).translate(SUBSCRIPTS)}"
    if levels > 1 and level == levels:
        return f"{name} (top)"
    return f"{name} (next to x)" if level == 1 and levels > 1 else name


def kl_per_group(steps: list, kls: dict[int, list], title: str = "KL per group", height: int = 360) -> go.Figure:
    """One line per group, top first: KL(q(z_l | z_>l, x) ‖ p(z_l | z_>l)) against the step."""
    levels = max(kls, default=0)
    traces = [go.Scatter(x=steps, y=kls[level], name=group_label(level, levels),
                         mode="lines+markers" if len(steps) < 30 else "lines",
                         line=dict(width=LINE_WIDTH, color=PALETTE[(levels - level) % len(PALETTE)]))
              for level in sorted(kls, reverse=True)]
    fig = go.Figure(traces)
    fig.update_xaxes(title="step")
    fig.update_yaxes(title="nats per sample", rangemode="tozero")
    return base_layout(fig, title, height)


def elbo_curves(curves: dict[str, tuple[list, list]], title: str = "Held-out ELBO over training",
                height: int = 360) -> go.Figure:
    """One line per model: name -> (steps, ELBO in nats); higher is better."""
    traces = [go.Scatter(x=steps, y=values, name=name, mode="lines+markers",
                         line=dict(width=LINE_WIDTH, color=PALETTE[i % len(PALETTE)]))
              for i, (name, (steps, values)) in enumerate(curves.items())]
    fig = go.Figure(traces)
    fig.update_xaxes(title="step")
    fig.update_yaxes(title="ELBO (nats, higher is better)")
    return base_layout(fig, title, height)


def image_grid(images: np.ndarray, scale: int = 3) -> np.ndarray:
    """(R, C, H, W) images in [0, 1] -> one mosaic with R rows and C columns, upscaled for a projector."""
    rows, cols, h, w = images.shape
    return upscale(tile(images.reshape(rows * cols, h, w), ncols=cols), scale)  # (R·C, H, W) row-major
