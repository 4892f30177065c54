"""Figures of the VQ-VAE page (van den Oord, Vinyals & Kavukcuoglu, "Neural Discrete Representation
Learning", NeurIPS 2017): codebook usage, perplexity and dead codes over training, the codebook and the
encoder outputs z_e in a PCA plane, an image's token grid, and per-image squared errors of two models.
Arrays in, `go.Figure` out; no Streamlit, no models.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from explorer.figures import LINE_WIDTH, PALETTE, base_layout

USED, DEAD, Z_E = PALETTE[0], PALETTE[3], "rgba(127, 127, 127, 0.35)"
FONT_IN_CELL = 15  # code numbers in the token grid; plotly picks black or white per cell for contrast


def usage_histogram(counts: np.ndarray, title: str = "Codebook usage", height: int = 340) -> go.Figure:
    """Bars of per-code counts (K,); dead codes (count 0) marked with a red cross on the axis."""
    counts = np.asarray(counts)
    codes = np.arange(len(counts))
    dead = codes[counts == 0]
    fig = go.Figure(go.Bar(x=codes, y=counts, marker_color=USED, name="uses per code",
                           hovertemplate="code %{x}: %{y} uses<extra></extra>"))
    fig.add_trace(go.Scatter(x=dead, y=np.zeros(len(dead)), mode="markers", name=f"dead codes: {len(dead)}",
                             marker=dict(symbol="x", size=11, color=DEAD, line=dict(width=1)),
                             hovertemplate="code %{x}: never used<extra></extra>"))
    fig.update_xaxes(title="code k", range=[-0.5, len(counts) - 0.5])
    fig.update_yaxes(title="uses", rangemode="tozero")
    base_layout(fig, title, height)
    # the legend inside the plot, so the title keeps its room
    fig.update_layout(bargap=0.05, legend=dict(x=0.99, y=0.99, xanchor="right", yanchor="top"))
    return fig


def usage_curves(steps: np.ndarray, perplexity: np.ndarray, unused_codes: np.ndarray, codebook_size: int,
                 title: str = "Perplexity and dead codes over training", height: int = 340,
                 unused_name: str = "dead codes", codes_reset: np.ndarray | None = None,
                 reset_name: str = "codes reset") -> go.Figure:
    """Perplexity exp(H(usage)) (the number of codes in effective use), the codes no input picked (named
    `unused_name`: of a training batch, or of the held-out images) and, where given, the codes a dead-code reset
    moved (with resets on no code stays dead, so these are the dying ones), against the step, under a dashed
    line at K."""
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=steps, y=perplexity, name="perplexity", mode="lines",
                             line=dict(width=LINE_WIDTH, color=USED)))
    fig.add_trace(go.Scatter(x=steps, y=unused_codes, name=unused_name, mode="lines",
                             line=dict(width=LINE_WIDTH, color=DEAD)))
    if codes_reset is not None and np.isfinite(codes_reset).any():
        fig.add_trace(go.Scatter(x=steps, y=codes_reset, name=reset_name, mode="lines",
                                 line=dict(width=LINE_WIDTH, color=PALETTE[2], dash="dot")))
    fig.add_hline(y=codebook_size, line=dict(dash="dash", color=PALETTE[7], width=2),
                  annotation_text=f"K = {codebook_size}", annotation_position="top left")
    fig.update_xaxes(title="step")
    fig.update_yaxes(title="codes", rangemode="tozero")
    return base_layout(fig, title, height)


def codebook_scatter(codes_2d: np.ndarray, z_e_2d: np.ndarray, counts: np.ndarray, explained: np.ndarray,
                     title: str = "Codes and z_e (PCA)", height: int = 460) -> go.Figure:
    """The K codes (used blue, dead red) over grey encoder outputs z_e, in the plane of the top two principal
    directions of codebook ∪ z_e; the axes say how much variance each direction explains."""
    used = np.asarray(counts) > 0
    codes = np.arange(len(codes_2d))
    fig = go.Figure(go.Scattergl(x=z_e_2d[:, 0], y=z_e_2d[:, 1], mode="markers", name="encoder outputs z_e",
                                 marker=dict(size=5, color=Z_E), hoverinfo="skip"))
    for mask, name, color in ((used, "used codes e_k", USED), (~used, "dead codes", DEAD)):
        fig.add_trace(go.Scatter(x=codes_2d[mask, 0], y=codes_2d[mask, 1], mode="markers", name=name,
                                 customdata=codes[mask], hovertemplate="code %{customdata}<extra></extra>",
                                 marker=dict(size=10, color=color, line=dict(width=1, color="white"))))
    fig.update_xaxes(title=f"PC 1 ({100 * explained[0]:.0f}% of variance)")
    fig.update_yaxes(title=f"PC 2 ({100 * explained[1]:.0f}% of variance)")
    return base_layout(fig, title, height)


def token_grid(codes: np.ndarray, codebook_size: int, title: str = "Token grid", height: int = 420) -> go.Figure:
    """An image's codes (H', W') as a heatmap with each cell's code number written in it."""
    codes = np.asarray(codes)
    fig = go.Figure(go.Heatmap(z=codes, zmin=0, zmax=codebook_size - 1, colorscale="Viridis", showscale=False,
                               text=codes, texttemplate="%{text}", textfont=dict(size=FONT_IN_CELL),
                               xgap=2, ygap=2, hovertemplate="row %{y}, column %{x}: code %{z}<extra></extra>"))
    fig.update_xaxes(showticklabels=False, constrain="domain")
    fig.update_yaxes(autorange="reversed", showticklabels=False, scaleanchor="x")
    return base_layout(fig, title, height)


def squared_error_bars(labels: list[str], errors: dict[str, np.ndarray], axis_title: str,
                       title: str = "Squared error per image", height: int = 320) -> go.Figure:
    """Grouped bars: one group per input, one bar per model ({model name: (B,) errors}); the value axis says
    which error and in which unit (`metrics.SQUARED_ERROR_LABEL` on the page)."""
    fig = go.Figure([go.Bar(x=labels, y=values, name=name, marker_color=PALETTE[i % len(PALETTE)],
                            hovertemplate=name + ", %{x}: %{y:.2f}<extra></extra>")
                     for i, (name, values) in enumerate(errors.items())])
    fig.update_yaxes(title=axis_title, rangemode="tozero")
    fig.update_layout(barmode="group")
    return base_layout(fig, title, height)
