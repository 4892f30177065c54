"""Figures of the ELBO page: the true posterior next to q, the ladder of bounds, the gap over training."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from explorer.figures import LINE_WIDTH, PALETTE, base_layout

GAP_COLOUR = "rgba(214, 39, 40, 0.18)"


def ellipse(mean: np.ndarray, std: np.ndarray, radius: float, points: int = 100) -> np.ndarray:
    """The contour at `radius` standard deviations of a diagonal Gaussian, (points, 2)."""
    angle = np.linspace(0, 2 * np.pi, points)
    return np.stack([mean[0] + radius * std[0] * np.cos(angle), mean[1] + radius * std[1] * np.sin(angle)], 1)


def posterior_figure(z1: np.ndarray, z2: np.ndarray, log_density: np.ndarray, q_mean: np.ndarray,
                     q_std: np.ndarray, q_samples: np.ndarray | None = None, title: str = "",
                     height: int = 520) -> go.Figure:
    """p(z|x) on a grid (log_density indexed [i2, i1]) as a heatmap, q(z|x)'s 1σ and 2σ ellipses on
    top at true scale, and reparameterized samples z = μ + σ·ε of q."""
    density = np.exp(log_density - log_density.max())
    fig = go.Figure(go.Heatmap(x=z1, y=z2, z=density, colorscale="Blues", showscale=False,
                               name="p(z|x)", hovertemplate="z=(%{x:.2f}, %{y:.2f})<extra>p(z|x)</extra>"))
    for radius, dash in ((1, "solid"), (2, "dash")):
        ring = ellipse(q_mean, q_std, radius)
        fig.add_trace(go.Scatter(x=ring[:, 0], y=ring[:, 1], mode="lines", name=f"q(z|x), {radius}σ",
                                 line=dict(color=PALETTE[3], width=LINE_WIDTH, dash=dash)))
    if q_samples is not None:
        fig.add_trace(go.Scatter(x=q_samples[:, 0], y=q_samples[:, 1], mode="markers", name="z = μ + σ·ε",
                                 marker=dict(size=6, color=PALETTE[1], line=dict(width=1, color="white"))))
    fig.update_xaxes(title="z₁", range=[z1[0], z1[-1]])
    fig.update_yaxes(title="z₂", range=[z2[0], z2[-1]], scaleanchor="x")
    fig.update_layout(legend=dict(orientation="h", yanchor="top", y=-0.15, x=0))
    base_layout(fig, title, height)
    return fig.update_layout(margin=dict(b=110))


def bounds_figure(log_px: float, bounds: dict[str, tuple[float, float]], title: str = "",
                  height: int = 380) -> go.Figure:
    """The ladder: each bound as a point with its spread (±1 sd over repeats) on one nats axis,
    log p(x) as a line, and the ELBO's gap to it shaded and labelled KL(q ‖ p(z|x))."""
    names = list(bounds) + ["log p(x)"]
    means = [bounds[n][0] for n in bounds] + [log_px]
    spreads = [bounds[n][1] for n in bounds] + [0.0]
    fig = go.Figure(go.Scatter(
        x=means, y=names, mode="markers", marker=dict(size=16, color=[PALETTE[i] for i in range(len(names))]),
        error_x=dict(type="data", array=spreads, thickness=LINE_WIDTH, width=8), showlegend=False,
        hovertemplate="%{y}: %{x:.2f} nats<extra></extra>"))
    fig.add_vline(x=log_px, line=dict(color="black", width=2, dash="dot"))
    if "ELBO" in bounds:
        elbo = bounds["ELBO"][0]
        fig.add_vrect(x0=elbo, x1=log_px, fillcolor=GAP_COLOUR, line_width=0)
        fig.add_annotation(x=(elbo + log_px) / 2, y=1.0, yref="paper", showarrow=False, yanchor="bottom",
                           text=f"gap = KL(q ‖ p(z|x)) = {log_px - elbo:.2f} nats", font=dict(size=16))
    low = min(m - s for m, s in zip(means, spreads, strict=True))
    margin = 0.08 * max(log_px - low, 1.0)
    fig.update_xaxes(title="nats (higher is better)", range=[low - margin, log_px + margin])
    base_layout(fig, title, height)
    return fig.update_layout(margin=dict(t=60))


def elbo_split_figure(recon: float, kl: float, height: int = 200) -> go.Figure:
    """−ELBO = reconstruction + KL(q ‖ p(z)) as one stacked bar."""
    fig = go.Figure()
    fig.add_trace(go.Bar(x=[recon], y=["−ELBO"], orientation="h", name=f"−E_q log p(x|z) = {recon:.2f}",
                         marker_color=PALETTE[0]))
    fig.add_trace(go.Bar(x=[kl], y=["−ELBO"], orientation="h", name=f"KL(q ‖ p(z)) = {kl:.2f}",
                         marker_color=PALETTE[1]))
    fig.update_layout(barmode="stack", legend=dict(orientation="h", y=-0.4))
    fig.update_xaxes(title="nats")
    return base_layout(fig, "", height)


def gap_history_figure(history: dict[str, list], title: str = "", height: int = 380) -> go.Figure:
    """Held-out mean log p(x) and ELBO per step (the same images for both), the gap shaded."""
    steps = history["step"]
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=steps, y=history["heldout_log_px"], name="log p(x) (exact)", mode="lines+markers",
                             line=dict(color="black", width=LINE_WIDTH)))
    fig.add_trace(go.Scatter(x=steps, y=history["heldout_elbo"], name="ELBO", mode="lines+markers", fill="tonexty",
                             fillcolor=GAP_COLOUR, line=dict(color=PALETTE[0], width=LINE_WIDTH)))
    fig.update_xaxes(title="training step")
    fig.update_yaxes(title="nats per sample (held out)")
    fig.update_layout(legend=dict(orientation="h", y=-0.25))
    return base_layout(fig, title, height)
