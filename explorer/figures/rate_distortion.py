"""Figures of the β page: the rate-distortion plane, KL per latent unit, traversals, MIG against β.

- Rate R and distortion D with -ELBO = R + D: Alemi et al., "Fixing a Broken ELBO" (ICML 2018).
- Active and collapsed units: Burda et al. 2016 (§5.2); Lucas et al. 2019 (§3).
- Latent traversals: Higgins et al. 2017. MIG: Chen et al. 2018.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from explorer.figures import FONT_SIZE, LINE_WIDTH, PALETTE, base_layout
from explorer.figures.images import tile

COLLAPSED_GREY = "#9e9e9e"
INACTIVE_ORANGE = PALETTE[1]
LIVE_RED = PALETTE[3]
ISO_GREY = "rgba(128,128,128,0.7)"
DISTORTION_TITLE = "distortion D = −E log p(x|z) (nats per image)"


def iso_elbo_levels(low: float, high: float, n: int = 7) -> np.ndarray:
    """About n round values c with low < c < high: the -ELBO = R + D of the iso-lines drawn across a view."""
    raw = max(high - low, 1e-9) / n
    magnitude = 10 ** np.floor(np.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    return np.arange(np.floor(low / step) + 1, np.ceil(high / step)) * step


def _view_ranges(rates: np.ndarray, distortions: np.ndarray) -> tuple[list[float], list[float]]:
    """The rate axis starts at 0 (a collapsed model sits on it). The distortion axis spans at least half
    the rate axis, so that lines of slope -1 look like it even around a single point."""
    x_range = [0.0, 1.12 * max(rates.max(), 1.0)]
    spread = distortions.max() - distortions.min()
    pad = max(0.12 * spread, (0.5 * x_range[1] - spread) / 2)
    return x_range, [distortions.min() - pad, distortions.max() + pad]


def _add_iso_lines(fig: go.Figure, levels: np.ndarray, x_range: list[float], y_range: list[float]) -> None:
    """Lines R + D = c (slope -1), each labelled just past where it leaves the view, right or bottom."""
    for i, level in enumerate(levels):
        x = np.array(x_range)
        fig.add_trace(go.Scatter(x=x, y=level - x, mode="lines", hoverinfo="skip", showlegend=i == 0,
                                 name="iso-ELBO: R + D = −ELBO = const",
                                 line=dict(color=ISO_GREY, width=1.5, dash="dash")))
        leaves_right = level - x_range[1] >= y_range[0]
        x_out = x_range[1] if leaves_right else level - y_range[0]
        if level - x_out <= y_range[1] and x_out >= x_range[0]:
            fig.add_annotation(x=x_out, y=level - x_out, text=f"{level:g}", showarrow=False,
                               xanchor="left" if leaves_right else "center", yanchor="middle" if leaves_right
                               else "bottom", xshift=4 if leaves_right else 12, font=dict(size=FONT_SIZE - 2,
                                                                                          color="gray"))


def rate_distortion_plane(points: Sequence[dict], live: tuple[float, float] | None = None,
                          trail: np.ndarray | None = None, title: str = "", height: int = 480,
                          distortion_title: str = DISTORTION_TITLE) -> go.Figure:
    """Models as points (rate, distortion), with iso-ELBO lines of slope -1.

    `points`: dicts with rate, distortion, label (say "β = 4") and group (one curve per group,
    joined in the given order). `live`: the running model now; `trail` (T, 2): where it has been.
    """
    fig = go.Figure()
    xy = [(p["rate"], p["distortion"]) for p in points] + ([live] if live is not None else [])
    xy += [] if trail is None else [tuple(row) for row in np.asarray(trail)]
    if not xy:
        return base_layout(fig, title or "No model yet", height)
    rates, distortions = np.array([p[0] for p in xy]), np.array([p[1] for p in xy])
    x_range, y_range = _view_ranges(rates, distortions)
    _add_iso_lines(fig, iso_elbo_levels(x_range[0] + y_range[0], x_range[1] + y_range[1]), x_range, y_range)
    groups = list(dict.fromkeys(p.get("group", "") for p in points))
    for i, group in enumerate(groups):
        members = [p for p in points if p.get("group", "") == group]
        fig.add_trace(go.Scatter(
            x=[p["rate"] for p in members], y=[p["distortion"] for p in members], name=group or "models",
            mode="lines+markers+text", text=[p.get("label", "") for p in members], textposition="top right",
            textfont=dict(size=FONT_SIZE), line=dict(width=LINE_WIDTH, color=PALETTE[i % len(PALETTE)]),
            marker=dict(size=12, symbol=("circle", "diamond", "square")[i % 3]),
            hovertemplate="R = %{x:.2f}<br>D = %{y:.2f}<extra>%{text}</extra>"))
    if trail is not None and len(trail):
        fig.add_trace(go.Scatter(x=np.asarray(trail)[:, 0], y=np.asarray(trail)[:, 1], mode="lines+markers",
                                 name="live run so far", line=dict(color=LIVE_RED, width=2), marker=dict(size=5),
                                 opacity=0.5))
    if live is not None:
        fig.add_trace(go.Scatter(x=[live[0]], y=[live[1]], mode="markers", name="live model now",
                                 marker=dict(size=22, symbol="star", color=LIVE_RED, line=dict(width=1.5,
                                                                                              color="black"))))
    fig.update_xaxes(title="rate R = E KL(q(z|x) ‖ p(z)) (nats per image)", range=x_range)
    fig.update_yaxes(title=distortion_title, range=y_range)
    fig.update_layout(legend=dict(orientation="h", yanchor="top", y=-0.2, x=0))
    return base_layout(fig, title, height).update_layout(margin=dict(b=120, r=50))


def kl_per_unit_bars(kl: np.ndarray, active: np.ndarray, collapsed: np.ndarray, free_bits: float = 0.0,
                     title: str = "", height: int = 380, y_max: float | None = None, values: bool = True) -> go.Figure:
    """One bar per latent unit: active units coloured, inactive orange, collapsed ones grey.

    `y_max` fixes the axis (to compare charts side by side); `values` writes each KL above its bar.
    """
    kl, active, collapsed = np.asarray(kl), np.asarray(active, bool), np.asarray(collapsed, bool)
    names = np.array([f"z{u + 1}" for u in range(len(kl))])
    status = np.where(active, "active", np.where(collapsed, "collapsed", "inactive"))
    colours = {"active": PALETTE[0], "inactive": INACTIVE_ORANGE, "collapsed": COLLAPSED_GREY}
    fig = go.Figure()
    for name, colour in colours.items():
        chosen = status == name
        if chosen.any():
            fig.add_trace(go.Bar(x=names[chosen], y=kl[chosen], name=f"{name} ({chosen.sum()})", marker_color=colour,
                                 text=[f"{v:.2f}" for v in kl[chosen]] if values else None, textposition="outside",
                                 textfont=dict(size=FONT_SIZE - 2), cliponaxis=False, showlegend=True))
    if free_bits > 0:
        fig.add_hline(y=free_bits, line=dict(color=LIVE_RED, dash="dash", width=2),
                      annotation_text=f"λ = {free_bits:g}", annotation_position="top left")
    fig.update_xaxes(categoryorder="array", categoryarray=names, title="latent unit")
    fig.update_yaxes(title="E KL(q(z_u|x) ‖ N(0, 1)) (nats)", rangemode="tozero",
                     range=None if y_max is None else [0, y_max])
    fig.update_layout(legend=dict(orientation="h", yanchor="bottom", y=1.0, x=0), bargap=0.25)
    return base_layout(fig, title, height).update_layout(margin=dict(t=80 if title else 50))


def traversal_mosaic(traversal: np.ndarray, image_shape: tuple[int, int],
                     rows: Sequence[int] | None = None) -> np.ndarray:
    """(J, V, D) decoded traversals -> one image: a row per latent unit (in `rows` order), V columns."""
    rows = range(len(traversal)) if rows is None else rows
    chosen = np.asarray(traversal)[list(rows)]
    return tile(chosen.reshape(-1, *image_shape), chosen.shape[1])


def traversal_figure(mosaic: np.ndarray, row_labels: Sequence[str], values: Sequence[float],
                     image_shape: tuple[int, int], title: str = "") -> go.Figure:
    """The mosaic of `traversal_mosaic` with each row named (z_u and its KL) and each column's value."""
    h, w = image_shape
    fig = go.Figure(go.Heatmap(z=mosaic, zmin=0, zmax=1, colorscale=[[0, "black"], [1, "white"]], showscale=False,
                               hoverinfo="skip"))
    fig.update_yaxes(autorange="reversed", tickvals=[r * (h + 1) + h / 2 for r in range(len(row_labels))],
                     ticktext=list(row_labels), scaleanchor="x", showgrid=False, zeroline=False,
                     tickfont=dict(size=FONT_SIZE))
    fig.update_xaxes(tickvals=[c * (w + 1) + w / 2 for c in range(len(values))],
                     ticktext=[f"{v:+.1f}".replace("-", "−") for v in values], showgrid=False, zeroline=False,
                     side="top")
    fig = base_layout(fig, title, height=90 + 62 * len(row_labels))
    return fig.update_layout(margin=dict(l=150, r=10, t=90 if title else 60, b=10))


def mig_vs_beta(series: dict[str, tuple[Sequence[float], Sequence[float]]], title: str = "",
                height: int = 380) -> go.Figure:
    """MIG (0 to 1) against β on a log axis, one line per group of models (sweep, pretrained)."""
    fig = go.Figure()
    for i, (name, (betas, migs)) in enumerate(series.items()):
        fig.add_trace(go.Scatter(x=list(betas), y=list(migs), name=name, mode="lines+markers",
                                 line=dict(width=LINE_WIDTH, color=PALETTE[i % len(PALETTE)]), marker=dict(size=12)))
    betas = sorted({b for bs, _ in series.values() for b in bs})
    fig.update_xaxes(type="log", title="β", tickvals=betas, ticktext=[f"{b:g}" for b in betas])
    fig.update_yaxes(title="MIG", rangemode="tozero")
    fig.update_layout(legend=dict(orientation="h", yanchor="bottom", y=1.0, x=0))
    return base_layout(fig, title, height)


def mig_gap_bars(factor_names: Sequence[str], gaps: np.ndarray, title: str = "", height: int = 320) -> go.Figure:
    """The normalized gap of each true factor, whose mean is the MIG."""
    gaps = np.nan_to_num(np.asarray(gaps, dtype=float))
    fig = go.Figure(go.Bar(x=list(factor_names), y=gaps, marker_color=PALETTE[2], text=[f"{g:.2f}" for g in gaps],
                           textposition="outside", cliponaxis=False))
    fig.update_yaxes(title="gap / H(v_k) (a fraction of H)", range=[0, max(1.0, float(gaps.max()) * 1.15)])
    return base_layout(fig, title, height)
