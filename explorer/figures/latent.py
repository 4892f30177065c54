"""Figures of a 2-D latent space: codes coloured by label, paths, prior samples, decoded grids; the frames of a live
map, fixed for a run, so that training is seen as a change of the codes' shape and spread, not of tick labels."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from explorer.figures import INK, LINE_WIDTH, MARK, PALETTE, base_layout
from explorer.maths.latent import latent_extent

Extent = tuple[float, float, float, float]  # (x0, x1, y0, y1)
PRIOR_FRAME = 4.0  # a VAE's live map spans ±4: the prior's 3σ circle inside, and room to see codes spread past it
PRIOR_SIGMAS = {1: "dot", 2: "dash", 3: "longdash"}  # the prior's circles, k σ -> dash


def live_frame(codes: np.ndarray, has_prior: bool, previous: Extent | None = None) -> Extent:
    """The box of a live latent map, fixed for a run so that β or σ is seen at work. A VAE's is ±PRIOR_FRAME
    whatever its codes: the prior N(0, I) is the yardstick, and a code beyond the box is drawn on its edge
    (`latent_map(clip=True)`). An AE has no prior to measure by: its box is the union of `previous` (the box
    drawn so far in this run) and its codes' own (`latent_extent`), so it only ever grows."""
    if has_prior:
        return (-PRIOR_FRAME, PRIOR_FRAME, -PRIOR_FRAME, PRIOR_FRAME)
    now = latent_extent(codes)
    if previous is None:
        return now
    return (min(now[0], previous[0]), max(now[1], previous[1]), min(now[2], previous[2]), max(now[3], previous[3]))


def outside(z: np.ndarray, extent: Extent) -> np.ndarray:
    """(N,) bool: the codes that lie beyond the box."""
    x0, x1, y0, y1 = extent
    return (z[:, 0] < x0) | (z[:, 0] > x1) | (z[:, 1] < y0) | (z[:, 1] > y1)


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
    prior_circles: bool = False,
    clip: bool = False,
) -> go.Figure:
    """Codes z (N, 2) coloured by label, in the box `extent`, with optional layers on top (the page that decodes
    a clicked point draws its map on a canvas instead: `explorer.ui.hover_map`). `clip`: a code beyond the box is
    drawn on its edge as a diamond (`outside` counts them for a caption). `prior_circles`: the prior's 1σ, 2σ and
    3σ circles, and equal scales on both axes, so a circle looks round."""
    fig = go.Figure()
    _add_codes(fig, *(_on_the_edge(z, extent) if clip else (z, None)), labels)
    if prior_circles:
        _add_prior_circles(fig)
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


def _on_the_edge(z: np.ndarray, extent: Extent) -> tuple[np.ndarray, np.ndarray]:
    """The codes with those beyond the box moved onto its edge, and (N,) symbols: a diamond for a moved one."""
    x0, x1, y0, y1 = extent
    on_box = np.stack([np.clip(z[:, 0], x0, x1), np.clip(z[:, 1], y0, y1)], axis=1)
    return on_box, np.where(outside(z, extent), "diamond", "circle")


def _add_codes(fig: go.Figure, z: np.ndarray, symbols: np.ndarray | None, labels: np.ndarray | None) -> None:
    """One trace per label (one in all without labels); `symbols` (N,) per code, where some are marked."""
    if labels is None:
        fig.add_trace(go.Scatter(x=z[:, 0], y=z[:, 1], mode="markers", name="codes",
                                 marker=_marker(PALETTE[0], 0.7, symbols)))
        return
    for label in np.unique(labels):
        mask = labels == label
        fig.add_trace(go.Scatter(x=z[mask, 0], y=z[mask, 1], mode="markers", name=str(label),
                                 marker=_marker(PALETTE[int(label) % len(PALETTE)], 0.75,
                                                None if symbols is None else symbols[mask])))


def _marker(color: str, opacity: float, symbols: np.ndarray | None) -> dict:
    if symbols is None:
        return dict(size=5, color=color, opacity=opacity)
    return dict(size=np.where(symbols == "circle", 5, 8).tolist(), symbol=symbols.tolist(), color=color,
                opacity=opacity)


def _add_prior_circles(fig: go.Figure) -> None:
    """The prior N(0, I)'s circles of radius 1, 2 and 3 (σ = 1), grey and dashed ever longer, each labelled
    where it crosses the diagonal; the axes at one scale, the plot shrinking to fit, so circles stay round."""
    for k, dash in PRIOR_SIGMAS.items():
        fig.add_shape(type="circle", x0=-k, x1=k, y0=-k, y1=k, xref="x", yref="y", layer="above",
                      line=dict(color=INK, width=2, dash=dash), name=f"prior {k}σ")
        fig.add_annotation(x=k / np.sqrt(2), y=k / np.sqrt(2), text=f"{k}σ", showarrow=False, xanchor="left",
                           yanchor="bottom", font=dict(color=INK))
    fig.update_yaxes(scaleanchor="x", scaleratio=1, constrain="domain")
    fig.update_xaxes(constrain="domain")


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
