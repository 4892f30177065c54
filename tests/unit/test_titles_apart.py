"""A chart's title and its axis titles never share the band above the plot (issue 22: Categorical VAE's
"category k", an x-axis title on top, overprinted each grid's title "relaxed sample, τ = 1")."""

from __future__ import annotations

import numpy as np
import pytest

from explorer.figures.codes import category_grid
from explorer.figures.rate_distortion import traversal_figure


def top_axes(fig) -> list[str]:
    """The x axes drawn above the plot."""
    return [name for name in fig.layout if name.startswith("xaxis") and fig.layout[name].side == "top"]


@pytest.mark.parametrize("values", [np.eye(10)[np.arange(20) % 10], np.full((20, 10), 0.1)])
def test_the_category_grid_keeps_its_axis_title_out_of_the_title_band(values):
    fig = category_grid(values, "relaxed sample, τ = 1", height=460)
    assert fig.layout.xaxis.title.text == "category k"
    overprinting = [name for name in top_axes(fig) if fig.layout[name].title.text]
    assert not overprinting, f"axis titles above the plot, under the chart's title: {overprinting}"


def test_a_traversal_with_ticks_on_top_leaves_room_above_them_for_its_title():
    """The traversal keeps its column values on top (no axis title there), with a top margin for both."""
    fig = traversal_figure(np.zeros((2 * 9 - 1, 3 * 9 - 1)), ["z₁", "z₂"], [-2.0, 0.0, 2.0], (8, 8), "Traversals")
    assert all(not fig.layout[name].title.text for name in top_axes(fig))
    assert fig.layout.margin.t >= 90
