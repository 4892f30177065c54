"""The ELBO page's figures, read as data (issue 20, items 2 and 13, and the gap's two parts): the ladder prints
every value whole and never one over another, error bars are the standard errors given, the posterior picture
draws q* and frames q, the gap's parts stack to the gap."""

from __future__ import annotations

import numpy as np
import pytest

from explorer.figures import bounds as figures

LOG_PX = -128.68


def ladder(naive=(-330.63, 0.4), iwae=(-128.65, 0.02)):
    fig = figures.bounds_figure(LOG_PX, {"naive E_p(z) log p(x|z)": naive, "ELBO": (-129.12, 0.0), "IWAE-100": iwae})
    return fig, fig.data[0]


def test_an_off_scale_bound_is_written_whole_inwards_from_the_left_edge_and_never_clipped():
    """The naive bound's label lost its leading '−1' on screen ('27.6 (off scale)'): it was centred on a point
    pinned at the left edge, so its left half fell outside the axes and was clipped."""
    fig, points = ladder(naive=(-127.6 - 200, 0.4))
    labels, positions = list(points.text), list(np.broadcast_to(np.asarray(points.textposition, dtype=object), 4))
    assert labels[0] == "◀ −327.6 ± 0.40 nats (off scale)"
    assert points.x[0] > fig.layout.xaxis.range[0]  # pinned inside the axis
    assert "right" in positions[0]  # written from the point inwards, not centred on it
    assert points.cliponaxis is False


def test_log_px_and_the_gap_label_are_on_opposite_sides_of_the_log_px_line():
    fig, points = ladder()
    positions = list(np.broadcast_to(np.asarray(points.textposition, dtype=object), 4))
    assert list(points.y)[-1] == "log p(x)" and positions[-1] == "middle right"  # right of the line
    (note,) = [a for a in fig.layout.annotations if str(a.text).startswith("gap = KL")]
    assert note.x == LOG_PX and note.xanchor == "right"  # left of the line
    assert note.yref == "paper" and note.y >= 1 and note.yanchor == "bottom"  # and above the plot
    assert fig.layout.xaxis.range[1] > LOG_PX + 1.5 * (LOG_PX - fig.layout.xaxis.range[0]) * 0.1


def test_error_bars_are_the_standard_errors_and_labels_carry_them_with_the_unit():
    _, points = ladder(iwae=(-128.65, 0.02))
    assert list(points.error_x.array) == [0.0, 0.0, 0.02, 0.0]  # the naive bound is pinned: no bar
    assert list(points.text)[1:] == ["−129.12 nats", "−128.65 ± 0.02 nats", "−128.68 nats"]


def test_ellipse_cov_is_the_mahalanobis_circle():
    cov = np.array([[0.04, 0.018], [0.018, 0.01]])
    ring = figures.ellipse_cov(np.array([1.0, -2.0]), cov, 2.0)
    centred = ring - np.array([1.0, -2.0])
    distances = np.sqrt(np.einsum("ni,ij,nj->n", centred, np.linalg.inv(cov), centred))
    np.testing.assert_allclose(distances, 2.0)
    np.testing.assert_allclose(figures.ellipse(np.zeros(2), np.array([0.1, 0.3]), 1.0)[0], [0.1, 0.0], atol=1e-12)


def test_the_posterior_picture_draws_q_and_q_star():
    axis = np.linspace(-1, 1, 5)
    fig = figures.posterior_figure(axis, axis, np.zeros((5, 5)), np.array([0.5, 0.5]), np.array([0.1, 0.1]),
                                   q_star=(np.zeros(2), np.diag([0.04, 0.01])))
    names = [trace.name for trace in fig.data]
    assert {"q(z|x), 1σ", "q(z|x), 2σ", "q*(z|x), 1σ", "q*(z|x), 2σ"} <= set(names)


def test_the_gaps_parts_stack_to_the_gap():
    fig = figures.gap_split_figure(0.05, 126.04)
    assert fig.layout.barmode == "stack"
    assert [t.name for t in fig.data] == ["approximation gap: 0.05 nats", "amortization gap: 126.04 nats"]
    assert sum(t.x[0] for t in fig.data) == pytest.approx(126.09)
    assert [t.text[0] for t in fig.data] == ["0.05 nats", "126.04 nats"]
    history = {"step": [1, 2], "heldout_approximation_gap": [0.1, 0.2], "heldout_amortization_gap": [4.0, 6.0]}
    over_training = figures.gap_split_history_figure(history)
    assert [t.stackgroup for t in over_training.data] == ["gap", "gap"]
    assert "nats per image" in over_training.layout.yaxis.title.text
