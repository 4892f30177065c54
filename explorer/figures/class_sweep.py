"""Figures of the class sweep (issue 24, item 4): the class's points on the rate–distortion plane and the held-out
−ELBO against the swept quantity, filling in as results arrive, each value's mean ± standard deviation over seeds.

Points: dicts with value, rate, distortion and elbo (nats per image). Summary rows (`training.class_sweep.summarise`):
value, n, rate, rate_sd, distortion, distortion_sd, neg_elbo, neg_elbo_sd. Rate and distortion as in Alemi et al.,
"Fixing a Broken ELBO" (ICML 2018): −ELBO = R + D.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from explorer.figures import FONT_SIZE, LINE_WIDTH, PALETTE, base_layout
from explorer.figures.rate_distortion import DISTORTION_TITLE, _add_iso_lines, _view_ranges, iso_elbo_levels

SYMBOLS = {"beta": "β", "sigma": "σ", "seed": "seed"}
RATE_TITLE = "rate R = E KL(q(z|x) ‖ p(z)) (nats per image)"


def _label(knob: str, value) -> str:
    return f"seed {value:g}" if knob == "seed" else f"{SYMBOLS[knob]} = {value:g}"


def _spread(rows: Sequence[dict], name: str) -> dict | None:
    """Error bars of ± one standard deviation where a value repeats; None when none does."""
    if not any(row["n"] > 1 for row in rows):
        return None
    return dict(type="data", array=[row[f"{name}_sd"] for row in rows], visible=True, thickness=2, width=8)


def _empty(title: str, height: int) -> go.Figure:
    return base_layout(go.Figure(), title or "No point yet: the students' results appear here as they arrive",
                       height)


def class_plane(points: Sequence[dict], summary: Sequence[dict], knob: str, title: str = "",
                height: int = 460) -> go.Figure:
    """Each student's point on the R–D plane with iso-ELBO lines; a β or σ sweep joins its values' means in
    order, a seed sweep marks the mean of all seeds; ± one standard deviation where a value has several seeds."""
    if not points:
        return _empty(title, height)
    fig = go.Figure()
    rates, distortions = np.array([p["rate"] for p in points]), np.array([p["distortion"] for p in points])
    x_range, y_range = _view_ranges(rates, distortions)
    _add_iso_lines(fig, iso_elbo_levels(x_range[0] + y_range[0], x_range[1] + y_range[1]), x_range, y_range)
    fig.add_trace(go.Scatter(x=rates, y=distortions, mode="markers", name="one student's point each",
                             text=[_label(knob, p["value"]) for p in points], opacity=0.6,
                             marker=dict(size=10, color=PALETTE[0]),
                             hovertemplate="R = %{x:.2f}<br>D = %{y:.2f}<extra>%{text}</extra>"))
    rows = sorted(summary, key=lambda row: row["value"]) if knob != "seed" else list(summary)
    fig.add_trace(go.Scatter(
        x=[row["rate"] for row in rows], y=[row["distortion"] for row in rows],
        mode="markers+text" if knob == "seed" else "lines+markers+text", name="mean over seeds",
        text=["mean of the seeds" if knob == "seed" else _label(knob, row["value"]) for row in rows],
        textposition="top right", textfont=dict(size=FONT_SIZE), error_x=_spread(rows, "rate"),
        error_y=_spread(rows, "distortion"), line=dict(width=LINE_WIDTH, color=PALETTE[1]),
        marker=dict(size=14, symbol="diamond", color=PALETTE[1]),
        hovertemplate="R = %{x:.2f}<br>D = %{y:.2f}<extra>%{text}</extra>"))
    fig.update_xaxes(title=RATE_TITLE, range=x_range)
    fig.update_yaxes(title=DISTORTION_TITLE, range=y_range)
    fig.update_layout(legend=dict(orientation="h", yanchor="top", y=-0.2, x=0))
    return base_layout(fig, title, height).update_layout(margin=dict(b=120, r=50))


def swept_curve(points: Sequence[dict], summary: Sequence[dict], knob: str, title: str = "",
                height: int = 460) -> go.Figure:
    """The held-out −ELBO (nats per image) of each point against the swept β or σ (log axis), the values' means
    joined, ± one standard deviation over seeds; a seed sweep: one bar per seed and the mean ± sd as a band."""
    if not points:
        return _empty(title, height)
    fig = go.Figure()
    if knob == "seed":
        _seed_bars(fig, points, summary)
    else:
        rows = sorted(summary, key=lambda row: row["value"])
        fig.add_trace(go.Scatter(x=[p["value"] for p in points], y=[-p["elbo"] for p in points], mode="markers",
                                 name="one student's point each", opacity=0.6, marker=dict(size=10, color=PALETTE[0])))
        fig.add_trace(go.Scatter(x=[row["value"] for row in rows], y=[row["neg_elbo"] for row in rows],
                                 mode="lines+markers", name="mean over seeds", error_y=_spread(rows, "neg_elbo"),
                                 line=dict(width=LINE_WIDTH, color=PALETTE[1]),
                                 marker=dict(size=14, symbol="diamond", color=PALETTE[1])))
        fig.update_xaxes(title=f"{SYMBOLS[knob]} (log scale)", type="log")
    fig.update_yaxes(title="held-out −ELBO = R + D (nats per image)")
    fig.update_layout(legend=dict(orientation="h", yanchor="top", y=-0.2, x=0))
    return base_layout(fig, title, height).update_layout(margin=dict(b=120, r=50))


def _seed_bars(fig: go.Figure, points: Sequence[dict], summary: Sequence[dict]) -> None:
    seeds = [f"seed {p['value']:g}" for p in points]
    fig.add_trace(go.Bar(x=seeds, y=[-p["elbo"] for p in points], name="one seed each", marker_color=PALETTE[0]))
    if summary:
        mean, sd = summary[0]["neg_elbo"], summary[0]["neg_elbo_sd"]
        fig.add_hrect(y0=mean - sd, y1=mean + sd, fillcolor=PALETTE[1], opacity=0.2, line_width=0)
        fig.add_hline(y=mean, line=dict(color=PALETTE[1], width=LINE_WIDTH),
                      annotation_text=f"mean {mean:.1f} ± {sd:.1f} nats (n = {summary[0]['n']})",
                      annotation_position="top left")
    values = [-p["elbo"] for p in points]
    low, high = min(values), max(values)
    pad = max(0.5 * (high - low), 1.0)
    fig.update_yaxes(range=[low - pad, high + pad])
    fig.update_xaxes(title="seed of the point", type="category")
