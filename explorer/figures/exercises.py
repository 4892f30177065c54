"""Figures of the "Exercises" and "Assignment" pages: the Monte-Carlo KL converging to the closed form, a
one-hot q against the uniform prior, the soft-q KL over inputs, the Gumbel-softmax limit τ → 0, and a toy
VAE's prior samples and decoded latent grid over its data. Arrays in, `go.Figure` out (built in one call);
no Streamlit, no models.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from explorer.figures import LINE_WIDTH, PALETTE, base_layout
from explorer.figures.curves import ELBO_KEYS, training_curves

DATA = "rgba(127, 127, 127, 0.35)"
BAND = "rgba(31, 119, 180, 0.2)"
BOTTOM_LEGEND = dict(orientation="h", y=-0.22)


def kl_convergence_figure(sizes: np.ndarray, running: np.ndarray, running_stderr: np.ndarray, closed_form: float,
                          height: int = 380) -> go.Figure:
    """The Monte-Carlo estimate after N samples with a ±2 s.e. band, against the closed form (dashed)."""
    sizes = np.asarray(sizes)
    upper, lower = running + 2 * running_stderr, running - 2 * running_stderr
    data = [go.Scatter(x=np.concatenate([sizes, sizes[::-1]]), y=np.concatenate([upper, lower[::-1]]), fill="toself",
                       fillcolor=BAND, line=dict(width=0), name="± 2 standard errors", hoverinfo="skip"),
            go.Scatter(x=sizes, y=running, mode="lines", name="Monte Carlo: mean of log q(z) − log p(z)",
                       line=dict(color=PALETTE[0], width=LINE_WIDTH)),
            go.Scatter(x=[sizes[0], sizes[-1]], y=[closed_form, closed_form], mode="lines",
                       name=f"closed form {closed_form:.4f}",
                       line=dict(color=PALETTE[1], width=LINE_WIDTH, dash="dash"))]
    layout = dict(xaxis=dict(type="log", title="samples N"), yaxis=dict(title="nats"), legend=BOTTOM_LEGEND)
    return base_layout(go.Figure(data, layout), "The estimate converges to the closed form", height)


def one_hot_figure(k: int, chosen: int = 0, height: int = 320) -> go.Figure:
    """q(k|x), one-hot at the chosen code, as bars, against the uniform prior 1/K (dashed)."""
    codes = np.arange(k)
    data = [go.Bar(x=codes, y=(codes == chosen).astype(float), name="q(k | x): one-hot", marker_color=PALETTE[0]),
            go.Scatter(x=[-0.5, k - 0.5], y=[1 / k, 1 / k], mode="lines", name=f"p(k) = 1/K = {1 / k:.3g}",
                       line=dict(color=PALETTE[1], width=LINE_WIDTH, dash="dash"))]
    layout = dict(xaxis=dict(title="code k", range=[-0.5, k - 0.5]), yaxis=dict(title="probability", range=[0, 1.05]),
                  bargap=0.1, legend=BOTTOM_LEGEND)
    return base_layout(go.Figure(data, layout), f"One-hot q against the uniform prior, K = {k}", height)


def soft_kl_histogram(kl: np.ndarray, hard: float, title: str, height: int = 340) -> go.Figure:
    """A histogram of KL(q ‖ uniform) over inputs for a soft q, with the one-hot value (a constant) marked."""
    data = [go.Histogram(x=kl, nbinsx=40, name="soft q: log K − H(q)", marker_color=PALETTE[0]),
            go.Scatter(x=[hard, hard], y=[0, 1], yaxis="y2", mode="lines", name=f"one-hot q: {hard:.3f} for every x",
                       line=dict(color=PALETTE[3], width=LINE_WIDTH, dash="dash"))]
    layout = dict(xaxis=dict(title="KL(q(k|x) ‖ p(k)) in nats"), yaxis=dict(title="inputs"),
                  yaxis2=dict(overlaying="y", range=[0, 1], visible=False), legend=BOTTOM_LEGEND, bargap=0.05)
    return base_layout(go.Figure(data, layout), title, height)


def tau_limit_figure(taus: np.ndarray, tv_mean: np.ndarray, tv_argmax: np.ndarray, max_component: np.ndarray,
                     height: int = 380) -> go.Figure:
    """Against τ (log axis): the distance of the relaxed samples' mean to p, the same for the frequencies of
    their argmax, and how one-hot the samples are (mean of max_k y_k, right axis)."""
    data = [go.Scatter(x=taus, y=tv_mean, mode="lines+markers", name="½ Σ |mean of y − p|",
                       line=dict(color=PALETTE[0], width=LINE_WIDTH), marker=dict(size=9)),
            go.Scatter(x=taus, y=tv_argmax, mode="lines+markers", name="½ Σ |frequency of argmax y − p|",
                       line=dict(color=PALETTE[2], width=LINE_WIDTH), marker=dict(size=9)),
            go.Scatter(x=taus, y=max_component, yaxis="y2", mode="lines+markers", name="mean of max_k y_k (right)",
                       line=dict(color=PALETTE[7], width=2, dash="dot"), marker=dict(size=7))]
    layout = dict(xaxis=dict(type="log", title="temperature τ"), yaxis=dict(title="distance to p", rangemode="tozero"),
                  yaxis2=dict(overlaying="y", side="right", range=[0, 1.05], dtick=0.25, showgrid=False,
                              title="max_k y_k"), legend=dict(orientation="h", y=-0.3))
    return base_layout(go.Figure(data, layout), "Relaxed samples against p, by temperature", height)


def loss_curve_figure(history: list[dict], keys: tuple[str, ...], title: str = "", height: int = 340) -> go.Figure:
    """`training_curves` with the loss terms' axis fitted to the curves after their first tenth (the first steps of
    a fresh model are tens of nats above the rest and would flatten everything else); an ELBO keeps its own axis."""
    fig = training_curves(history, keys, title, height)
    last = max((row["step"] for row in history), default=0)
    values = [row[key] for row in history if row["step"] >= 0.1 * last for key in keys
              if key in row and key not in ELBO_KEYS]
    if len(values) > 1:
        low, high = min(values), max(values)
        pad = 0.1 * (high - low) + 1e-3
        fig.update_layout(yaxis_range=[low - pad, high + pad])
    return fig


def _toy_axes(x: np.ndarray) -> dict:
    lo, hi = np.quantile(x, 0.001, axis=0), np.quantile(x, 0.999, axis=0)
    pad = 0.15 * (hi - lo)
    return dict(xaxis=dict(range=[lo[0] - pad[0], hi[0] + pad[0]], title="x₁"),
                yaxis=dict(range=[lo[1] - pad[1], hi[1] + pad[1]], title="x₂", scaleanchor="x"),
                legend=BOTTOM_LEGEND)


def toy_samples_figure(x: np.ndarray, samples: np.ndarray, title: str = "Prior samples over the data",
                       height: int = 440) -> go.Figure:
    """The data in grey and the decoded prior samples E[x|z], z ~ N(0, I), on top."""
    data = [go.Scattergl(x=x[:, 0], y=x[:, 1], mode="markers", name="data", marker=dict(size=5, color=DATA)),
            go.Scattergl(x=samples[:, 0], y=samples[:, 1], mode="markers", name="E[x | z], z ~ N(0, I)",
                         marker=dict(size=6, color=PALETTE[0]))]
    return base_layout(go.Figure(data, _toy_axes(x)), title, height)


def _mesh_lines(grid: np.ndarray) -> tuple[list, list]:
    """The rows and columns of an (n, n, 2) grid as one polyline with None between the lines."""
    xs, ys = [], []
    for lines in (grid, grid.transpose(1, 0, 2)):
        for line in lines:
            xs += [*line[:, 0].tolist(), None]
            ys += [*line[:, 1].tolist(), None]
    return xs, ys


def decoded_grid_figure(x: np.ndarray, grid: np.ndarray, title: str = "The decoded latent grid",
                        height: int = 440) -> go.Figure:
    """The data in grey and the image of a latent grid under the decoder's mean: each grid line of z-space
    drawn as the curve it becomes in data space, the decoded grid points as dots, z = 0 as a star."""
    xs, ys = _mesh_lines(grid)
    n = grid.shape[0]
    centre = grid[n // 2, n // 2]
    data = [go.Scattergl(x=x[:, 0], y=x[:, 1], mode="markers", name="data", marker=dict(size=5, color=DATA)),
            go.Scatter(x=xs, y=ys, mode="lines", name=f"{n}×{n} latent grid, decoded",
                       line=dict(color=PALETTE[0], width=1.5)),
            go.Scatter(x=grid[..., 0].ravel(), y=grid[..., 1].ravel(), mode="markers", showlegend=False,
                       marker=dict(size=5, color=PALETTE[0]), hoverinfo="skip"),
            go.Scatter(x=[centre[0]], y=[centre[1]], mode="markers", name="z = 0",
                       marker=dict(symbol="star", size=16, color=PALETTE[1], line=dict(width=1, color="black")))]
    return base_layout(go.Figure(data, _toy_axes(x)), title, height)
