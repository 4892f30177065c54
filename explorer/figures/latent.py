"""Figures of a 2-D latent space: codes coloured by label, paths, prior samples, decoded grids."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from explorer.figures import INK, LINE_WIDTH, MARK, PALETTE, base_layout


def latent_map(
    z: np.ndarray,
    labels: np.ndarray | None,
    extent: tuple[float, float, float, float],
    title: str = "",
    path: np.ndarray | None = None,
    extra_points: np.ndarray | None = None,
    extra_name: str = "prior samples z ~ N(0, I)",
    height: int = 560,
    legend: bool = True,
) -> go.Figure:
    """Codes z (N, 2) coloured by label, in the box `extent`, with optional layers on top (the page that decodes
    a clicked point draws its map on a canvas instead: `explorer.ui.hover_map`)."""
    fig = go.Figure()
    _add_codes(fig, z, labels)
    if extra_points is not None:
        fig.add_trace(go.Scatter(x=extra_points[:, 0], y=extra_points[:, 1], mode="markers", name=extra_name,
                                 marker=dict(symbol="x", size=11, **MARK)))
    if path is not None:
        fig.add_trace(go.Scatter(x=path[:, 0], y=path[:, 1], mode="lines+markers", name="path",
                                 line=dict(width=LINE_WIDTH, color=INK), marker=dict(size=8, **MARK)))
    x0, x1, y0, y1 = extent
    fig.update_xaxes(range=[x0, x1], title="z₁", zeroline=False)
    fig.update_yaxes(range=[y0, y1], title="z₂", zeroline=False)
    fig.update_layout(legend=dict(itemsizing="constant", orientation="h", yanchor="top", y=-0.13, x=0,
                                  entrywidth=0.2, entrywidthmode="fraction"))
    base_layout(fig, title, height)
    if not legend:
        return fig.update_layout(showlegend=False)
    return fig.update_layout(margin=dict(b=130))  # room for the legend under the axis


def _add_codes(fig: go.Figure, z: np.ndarray, labels: np.ndarray | None) -> None:
    if labels is None:
        fig.add_trace(go.Scatter(x=z[:, 0], y=z[:, 1], mode="markers", name="codes",
                                 marker=dict(size=5, color=PALETTE[0], opacity=0.7)))
        return
    for label in np.unique(labels):
        mask = labels == label
        fig.add_trace(go.Scatter(x=z[mask, 0], y=z[mask, 1], mode="markers", name=str(label),
                                 marker=dict(size=5, color=PALETTE[int(label) % len(PALETTE)], opacity=0.75)))


def manifold_figure(tiles: np.ndarray, extent: tuple[float, float, float, float], title: str = "",
                    height: int = 600) -> go.Figure:
    """An (n, n, H, W) grid of decoded images, row 0 at the lowest z₂, placed on latent axes."""
    n, _, h, w = tiles.shape
    # (n, n, H, W) -> (n*H, n*W); image rows run top-down, so flip each tile to put z₂ upward
    mosaic = tiles[:, :, ::-1, :].transpose(0, 2, 1, 3).reshape(n * h, n * w)
    x0, x1, y0, y1 = extent
    step_x, step_y = (x1 - x0) / max(n - 1, 1), (y1 - y0) / max(n - 1, 1)
    fig = go.Figure(go.Heatmap(
        z=mosaic, colorscale="gray", showscale=False, hoverinfo="skip",
        x0=x0 - step_x / 2 + step_x / (2 * w), dx=step_x / w,
        y0=y0 - step_y / 2 + step_y / (2 * h), dy=step_y / h,
    ))
    fig.update_xaxes(title="z₁", range=[x0 - step_x / 2, x1 + step_x / 2])
    fig.update_yaxes(title="z₂", range=[y0 - step_y / 2, y1 + step_y / 2], scaleanchor="x",
                     scaleratio=(x1 - x0) / (y1 - y0))  # square tiles, whatever the box
    return base_layout(fig, title, height)
