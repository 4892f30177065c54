"""Discrete codes as pictures: a categorical code as a groups × categories grid, and a VQ token grid."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from explorer.figures import base_layout


def category_grid(values: np.ndarray, title: str = "", height: int = 420, show_values: bool = False) -> go.Figure:
    """A (N, K) array of per-group probabilities or codes, one row per group, one column per category;
    a one-hot row shows a single lit cell, a relaxed row a spread of grey."""
    groups, categories = values.shape
    fig = go.Figure(go.Heatmap(
        z=values, x=[str(k) for k in range(categories)], y=[f"z{n + 1}" for n in range(groups)],
        zmin=0.0, zmax=1.0, colorscale="Blues", showscale=False, xgap=2, ygap=2,
        text=np.round(values, 2) if show_values else None, texttemplate="%{text}" if show_values else None,
        hovertemplate="group %{y}, category %{x}: %{z:.2f}<extra></extra>"))
    # the category axis below the grid: on top, its title "category k" overprinted the chart's title
    fig.update_xaxes(title="category k", side="bottom")
    fig.update_yaxes(autorange="reversed", title="group")
    return base_layout(fig, title, height)


def tau_curve(steps: list[float], taus: list[float], title: str = "τ over training",
              height: int = 280) -> go.Figure:
    fig = go.Figure(go.Scatter(x=steps, y=taus, mode="lines", line=dict(width=3), name="τ"))
    fig.update_xaxes(title="step")
    fig.update_yaxes(title="τ", rangemode="tozero")
    return base_layout(fig, title, height)
