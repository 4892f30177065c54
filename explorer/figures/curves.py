"""Training curves from a metric history (a list of dict rows with a "step" key)."""

from __future__ import annotations

import plotly.graph_objects as go

from explorer.figures import LINE_WIDTH, PALETTE, base_layout


def training_curves(history: list[dict], keys: tuple[str, ...], title: str = "", height: int = 320,
                    yaxis_title: str = "nats per sample") -> go.Figure:
    """One line per key present in the rows, against the step."""
    fig = go.Figure()
    for i, key in enumerate(keys):
        rows = [r for r in history if key in r]
        if rows:
            fig.add_trace(go.Scatter(x=[r["step"] for r in rows], y=[r[key] for r in rows], name=key,
                                     mode="lines+markers" if len(rows) < 30 else "lines",
                                     line=dict(width=LINE_WIDTH, color=PALETTE[i % len(PALETTE)])))
    fig.update_xaxes(title="step")
    fig.update_yaxes(title=yaxis_title)
    return base_layout(fig, title, height)
