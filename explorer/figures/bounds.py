"""Figures of the ELBO page: the true posterior next to q, the ladder of bounds, the gap over training."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from explorer.figures import INK, LINE_WIDTH, PALETTE, base_layout
from explorer.lecture.gap_notes import signed

GAP_COLOUR = "rgba(214, 39, 40, 0.18)"


def ellipse(mean: np.ndarray, std: np.ndarray, radius: float, points: int = 100) -> np.ndarray:
    """The contour at `radius` standard deviations of a diagonal Gaussian, (points, 2)."""
    return ellipse_cov(mean, np.diag(np.asarray(std) ** 2), radius, points)


def ellipse_cov(mean: np.ndarray, cov: np.ndarray, radius: float, points: int = 100) -> np.ndarray:
    """The contour at Mahalanobis distance `radius` of N(mean, cov), (points, 2): mean + radius · L (cos, sin),
    L the Cholesky factor of cov, since ‖L⁻¹(z − mean)‖ = radius on it."""
    angle = np.linspace(0, 2 * np.pi, points)
    circle = np.stack([np.cos(angle), np.sin(angle)], 1)
    return np.asarray(mean) + radius * circle @ np.linalg.cholesky(np.asarray(cov)).T


def _rings(fig: go.Figure, mean: np.ndarray, cov: np.ndarray, name: str, colour: str) -> None:
    for radius, dash in ((1, "solid"), (2, "dash")):
        ring = ellipse_cov(mean, cov, radius)
        fig.add_trace(go.Scatter(x=ring[:, 0], y=ring[:, 1], mode="lines", name=f"{name}, {radius}σ",
                                 line=dict(color=colour, width=LINE_WIDTH, dash=dash)))


def posterior_figure(z1: np.ndarray, z2: np.ndarray, log_density: np.ndarray, q_mean: np.ndarray,
                     q_std: np.ndarray, q_samples: np.ndarray | None = None, title: str = "",
                     height: int = 520, q_star: tuple[np.ndarray, np.ndarray] | None = None) -> go.Figure:
    """p(z|x) on a grid (log_density indexed [i2, i1]) as a heatmap, q(z|x)'s 1σ and 2σ ellipses on
    top at true scale, reparameterized samples z = μ + σ·ε of q, and q*(z|x) (mean, covariance), the best
    Gaussian for this input, when given. The axes are the grid's: it frames the posterior and q."""
    density = np.exp(log_density - log_density.max())
    fig = go.Figure(go.Heatmap(x=z1, y=z2, z=density, colorscale="Blues", showscale=False,
                               name="p(z|x)", hovertemplate="z=(%{x:.2f}, %{y:.2f})<extra>p(z|x)</extra>"))
    _rings(fig, q_mean, np.diag(np.asarray(q_std) ** 2), "q(z|x)", PALETTE[3])
    if q_star is not None:
        _rings(fig, *q_star, "q*(z|x)", PALETTE[2])
    if q_samples is not None:
        fig.add_trace(go.Scatter(x=q_samples[:, 0], y=q_samples[:, 1], mode="markers", name="z = μ + σ·ε",
                                 marker=dict(size=6, color=PALETTE[1], line=dict(width=1, color="white"))))
    fig.update_xaxes(title="z₁", range=[z1[0], z1[-1]])
    fig.update_yaxes(title="z₂", range=[z2[0], z2[-1]], scaleanchor="x")
    fig.update_layout(legend=dict(orientation="h", yanchor="top", y=-0.15, x=0))
    base_layout(fig, title, height)
    return fig.update_layout(margin=dict(b=110))


def _ladder_label(mean: float, stderr: float, pinned: bool) -> str:
    error = f" ± {stderr:.2f}" if stderr > 0 else ""
    if pinned:  # written whole, from the left edge inwards: "◀ −330.6 ± 0.4 nats (off scale)"
        return f"◀ {signed(mean, 1)}{error} nats (off scale)"
    return f"{signed(mean, 2)}{error} nats"


def _label_side(x: float, pinned: bool, centre: float) -> str:
    """Labels run towards the middle of the axis: off the edges, and off the log p(x) line on the right."""
    return "top right" if pinned or x < centre else "top left"


def bounds_figure(log_px: float, bounds: dict[str, tuple[float, float]], title: str = "",
                  height: int = 380) -> go.Figure:
    """The ladder: each bound as a point with its standard error (0 for a computed one) on one axis of nats
    per image, log p(x) as a line, and the ELBO's gap to it shaded and labelled KL(q ‖ p(z|x)).

    The axis spans the tight bounds; one far below them (the naive bound is often hundreds of nats down) is
    pinned to the left edge with its value written whole beside it, inwards, so the gap stays visible. Text
    is never clipped at the axes (cliponaxis off) and runs towards the middle of the axis; log p(x)'s value is
    written right of its point and the gap's label above the plot, left of the line: never one over the other.
    """
    names = list(bounds) + ["log p(x)"]
    means = [bounds[n][0] for n in bounds] + [log_px]
    errors = [bounds[n][1] for n in bounds] + [0.0]
    distances = [log_px - m for m in means]
    reach = max(1.0, 4 * float(np.median(distances)))  # robust: one far bound cannot stretch the axis
    low = min(m - 2 * e for m, e, d in zip(means, errors, distances, strict=True) if d <= reach)
    margin = 0.15 * max(log_px - low, 0.5)
    left_edge = low - margin
    pinned = [m < left_edge + margin / 3 for m in means]
    shown = [left_edge + margin / 3 if p else m for m, p in zip(means, pinned, strict=True)]
    fig = go.Figure(go.Scatter(
        x=shown, y=names, mode="markers+text", marker=dict(size=16, color=[PALETTE[i] for i in range(len(names))]),
        text=[_ladder_label(m, e, p) for m, e, p in zip(means, errors, pinned, strict=True)],
        textposition=[_label_side(x, p, (left_edge + log_px) / 2) for x, p in zip(shown[:-1], pinned, strict=False)]
        + ["middle right"], cliponaxis=False,
        error_x=dict(type="data", array=[0.0 if p else e for e, p in zip(errors, pinned, strict=True)],
                     thickness=LINE_WIDTH, width=8),
        showlegend=False, hovertemplate="%{y}: %{text}<extra></extra>"))
    fig.add_vline(x=log_px, line=dict(color=INK, width=2, dash="dot"))
    if "ELBO" in bounds:
        elbo = bounds["ELBO"][0]
        fig.add_vrect(x0=elbo, x1=log_px, fillcolor=GAP_COLOUR, line_width=0)
        fig.add_annotation(x=log_px, xanchor="right", y=1.0, yref="paper", showarrow=False, yanchor="bottom",
                           text=f"gap = KL(q ‖ p(z|x)) = {log_px - elbo:.2f} nats", font=dict(size=16))
    # room right of log p(x) for its value: two margins
    fig.update_xaxes(title="nats per image (higher is better)", range=[left_edge, log_px + 2 * margin])
    base_layout(fig, title, height)
    return fig.update_layout(margin=dict(t=60))


def elbo_split_figure(expected_log_likelihood: float, kl: float, height: int = 300) -> go.Figure:
    """ELBO = E_q log p(x|z) − KL(q ‖ p(z)) as a waterfall (either part may be negative: a density
    p(x|z) of continuous data can exceed 1)."""
    fig = go.Figure(go.Waterfall(
        orientation="v", measure=["relative", "relative", "total"],
        x=["E_q log p(x|z)", "− KL(q ‖ p(z))", "ELBO"], y=[expected_log_likelihood, -kl, 0.0],
        text=[f"{signed(v)} nats" for v in (expected_log_likelihood, -kl, expected_log_likelihood - kl)],
        textposition="outside", connector=dict(line=dict(width=1, dash="dot")),
        increasing=dict(marker_color=PALETTE[0]), decreasing=dict(marker_color=PALETTE[1]),
        totals=dict(marker_color=PALETTE[2])))
    fig.update_yaxes(title="nats per image")
    return base_layout(fig, "The ELBO's two terms", height)


def gap_history_figure(history: dict[str, list], title: str = "", height: int = 380) -> go.Figure:
    """Held-out mean log p(x) and ELBO per step (the same images for both), the gap shaded."""
    steps = history["step"]
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=steps, y=history["heldout_log_px"], name="held-out log p(x), exact (nats per image)",
                             mode="lines+markers", line=dict(color=INK, width=LINE_WIDTH)))
    fig.add_trace(go.Scatter(x=steps, y=history["heldout_elbo"], name="held-out ELBO (nats per image)",
                             mode="lines+markers", fill="tonexty", fillcolor=GAP_COLOUR,
                             line=dict(color=PALETTE[0], width=LINE_WIDTH)))
    fig.update_xaxes(title="training step")
    fig.update_yaxes(title="nats per image (held out)")
    fig.update_layout(legend=dict(orientation="h", yref="container", yanchor="bottom", y=0.0, x=0))
    return base_layout(fig, title, height).update_layout(margin=dict(b=120))  # the legend under the axis title


SPLIT_PARTS = (("approximation gap", PALETTE[2]), ("amortization gap", PALETTE[3]))


def gap_split_figure(approximation: float, amortization: float, title: str = "", height: int = 260) -> go.Figure:
    """The gap of one input as one bar in two parts, approximation + amortization (Cremer et al. 2018)."""
    fig = go.Figure()
    for (name, colour), value in zip(SPLIT_PARTS, (approximation, amortization), strict=True):
        # the value in the legend too: a part of 0.05 next to one of 126 is too thin to hold its label
        fig.add_trace(go.Bar(x=[value], y=["gap"], orientation="h", name=f"{name}: {signed(value)} nats",
                             marker_color=colour, text=[f"{signed(value)} nats"], textposition="auto",
                             cliponaxis=False, hovertemplate=f"{name}: %{{x:.3f}} nats<extra></extra>"))
    fig.update_layout(barmode="stack", legend=dict(orientation="h", y=-0.75, traceorder="normal"))
    fig.update_xaxes(title="nats per image", rangemode="tozero")
    return base_layout(fig, title, height).update_layout(margin=dict(b=90))  # the legend below the axis title


def gap_split_history_figure(history: dict[str, list], title: str = "", height: int = 340) -> go.Figure:
    """The held-out mean approximation and amortization gaps per step, stacked: together the gap."""
    fig = go.Figure()
    for (name, colour), key in zip(SPLIT_PARTS, ("heldout_approximation_gap", "heldout_amortization_gap"),
                                   strict=True):
        fig.add_trace(go.Scatter(x=history["step"], y=history[key], name=name, mode="lines+markers",
                                 stackgroup="gap", line=dict(color=colour, width=LINE_WIDTH)))
    fig.update_xaxes(title="training step")
    fig.update_yaxes(title="gap, nats per image (held out)", rangemode="tozero")
    fig.update_layout(legend=dict(orientation="h", y=-0.3))
    return base_layout(fig, title, height)
