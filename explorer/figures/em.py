"""Figures of the "VAE as EM" page: points coloured by their responsibilities with each component's
1σ and 2σ ellipses (or k-means' hard clusters and centres), and log p(x) against the ELBO over half-steps.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from explorer.figures import INK, LINE_WIDTH, PALETTE, base_layout

GAP_COLOUR = "rgba(214, 39, 40, 0.18)"
NO_Q_COLOUR = "rgb(150, 150, 150)"
CLICK_TRACE = "click grid"  # the faint markers that make the whole plane clickable (Streamlit selects markers only)


def component_colour(k: int) -> str:
    return PALETTE[k % len(PALETTE)]


def mixed_colours(resp: np.ndarray) -> list[str]:
    """Each point's colour: the components' colours mixed by its responsibilities r_n (rows sum to 1)."""
    rgb = np.array([[int(c[i:i + 2], 16) for i in (1, 3, 5)] for c in map(component_colour, range(resp.shape[1]))])
    mixed = np.clip(resp @ rgb, 0, 255).round().astype(int)
    return [f"rgb({r},{g},{b})" for r, g, b in mixed]


def covariance_ellipse(mean: np.ndarray, covariance: np.ndarray, radius: float, points: int = 100) -> np.ndarray:
    """The contour at `radius` standard deviations of N(mean, covariance) in 2-D, (points, 2).

    With Σ = V diag(λ) Vᵀ, the contour {x : (x − μ)ᵀ Σ⁻¹ (x − μ) = radius²} is μ + radius · V diag(√λ) (cos t, sin t).
    """
    values, vectors = np.linalg.eigh(covariance)
    angle = np.linspace(0, 2 * np.pi, points)
    circle = np.stack([np.cos(angle), np.sin(angle)])  # (2, points)
    return mean + radius * ((vectors * np.sqrt(np.maximum(values, 0))) @ circle).T


def mixture_figure(x: np.ndarray, means: np.ndarray, covariances: np.ndarray, weights: np.ndarray,
                   resp: np.ndarray | None = None, kmeans: bool = False,
                   extent: tuple[float, float, float, float] = (-3, 3, -3, 3), title: str = "",
                   click_grid: np.ndarray | None = None, height: int = 560) -> go.Figure:
    """Points (N, 2) coloured by q(z|x) (grey before the first E-step), and the K components: 1σ and 2σ
    ellipses of each covariance, or, for k-means, hard colours and the centres only.

    `click_grid` (M, 2) adds nearly invisible markers under everything, so a click anywhere returns a point.
    """
    fig = go.Figure()
    if click_grid is not None:
        fig.add_trace(go.Scatter(x=click_grid[:, 0], y=click_grid[:, 1], mode="markers", name=CLICK_TRACE,
                                 marker=dict(size=10, color="rgba(128,128,128,0.05)"), hoverinfo="none",
                                 showlegend=False))
    colours = NO_Q_COLOUR if resp is None else mixed_colours(resp)
    fig.add_trace(go.Scatter(x=x[:, 0], y=x[:, 1], mode="markers", name="x, coloured by q(z|x)",
                             marker=dict(size=8, color=colours, opacity=0.85, line=dict(width=0.5, color="white")),
                             hovertemplate="(%{x:.2f}, %{y:.2f})<extra></extra>"))
    for k in range(len(means)):
        colour, label = component_colour(k), f"k = {k + 1}" + ("" if kmeans else f", π = {weights[k]:.2f}")
        if not kmeans:
            for radius, dash in ((1, "solid"), (2, "dash")):
                ring = covariance_ellipse(means[k], covariances[k], radius)
                fig.add_trace(go.Scatter(x=ring[:, 0], y=ring[:, 1], mode="lines", name=label, legendgroup=str(k),
                                         showlegend=radius == 1, hoverinfo="skip",
                                         line=dict(color=colour, width=LINE_WIDTH, dash=dash)))
        fig.add_trace(go.Scatter(x=[means[k, 0]], y=[means[k, 1]], mode="markers", legendgroup=str(k),
                                 name=f"centre {k + 1}" if kmeans else f"μ{k + 1}", showlegend=kmeans,
                                 marker=dict(symbol="x-thin", size=22 if kmeans else 18,  # thin: x shows through
                                             line=dict(width=5, color=colour)),
                                 hovertemplate=f"μ{k + 1} = (%{{x:.2f}}, %{{y:.2f}})<extra></extra>"))
    x0, x1, y0, y1 = extent
    fig.update_xaxes(range=[x0, x1], title="x₁", zeroline=False, constrain="domain")  # square, not wider
    fig.update_yaxes(range=[y0, y1], title="x₂", zeroline=False, scaleanchor="x")
    fig.update_layout(legend=dict(orientation="h", yanchor="top", y=-0.13, x=0))
    base_layout(fig, title, height)
    return fig.update_layout(margin=dict(b=110))


def bound_figure(labels: list[str], log_px: np.ndarray, elbo: np.ndarray, gap: float, title: str = "",
                 units: str = "nats per point", height: int = 420) -> go.Figure:
    """log p(x|θ) and ELBO(q, θ) after each half-step ("E1", "M1", "E2", …), the gap KL(q ‖ p(z|x))
    shaded between them: it closes at every E-step (EM) and the bound rises at every M-step. `gap` is the
    last one, from `explorer.maths.em.posterior_gap` (0 within rounding, where log_px − elbo may be −4e-16)."""
    fig = go.Figure()
    symbols = ["circle" if label.startswith("E") else "square" for label in labels]
    fig.add_trace(go.Scatter(x=labels, y=log_px, name="log p(x | θ)", mode="lines+markers",
                             line=dict(color=INK, width=LINE_WIDTH), marker=dict(size=9, symbol=symbols)))
    fig.add_trace(go.Scatter(x=labels, y=elbo, name="ELBO(q, θ)", mode="lines+markers", fill="tonexty",
                             fillcolor=GAP_COLOUR, line=dict(color=PALETTE[0], width=LINE_WIDTH),
                             marker=dict(size=9, symbol=symbols)))
    if len(labels):
        fig.add_annotation(x=1, xref="paper", xanchor="right", y=1.0, yref="paper", yanchor="bottom",
                           showarrow=False, align="right", font=dict(size=16),  # two lines: a narrow column
                           text=f"gap after {labels[-1]}:<br>KL(q ‖ p(z|x)) = {gap:.3g} {units}")
    else:
        fig.add_annotation(x=0.5, xref="paper", y=0.5, yref="paper", showarrow=False, font=dict(size=18),
                           text="Press <b>Step E</b> to start")
        fig.update_xaxes(showticklabels=False)
        fig.update_yaxes(showticklabels=False)
    fig.update_xaxes(title="half-step", type="category")
    fig.update_yaxes(title=units)
    fig.update_layout(legend=dict(orientation="h", yanchor="top", y=-0.25, x=0))
    base_layout(fig, title, height)
    return fig.update_layout(margin=dict(t=95, b=110))
