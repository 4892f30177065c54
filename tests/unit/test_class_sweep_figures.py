"""The class sweep's figures: each student's point on the R–D plane and the −ELBO against the swept quantity, the
values' means joined with ± one standard deviation where a value has several seeds; empty before any result."""

from __future__ import annotations

import pytest

from explorer.figures import class_sweep as figures
from explorer.training.class_sweep import summarise

POINTS = [{"value": v, "rate": r, "distortion": d, "elbo": -(r + d)}
          for v, r, d in ((0.5, 20.0, 30.0), (0.5, 22.0, 29.0), (4.0, 5.0, 45.0))]


def status(knob: str) -> dict:
    return {"knob": knob, "points": [{"value": p["value"], "state": "done", "result": p} for p in POINTS]}


def named(fig, name):
    (trace,) = [t for t in fig.data if t.name == name]
    return trace


def test_the_plane_shows_every_point_and_the_means_with_their_spread():
    fig = figures.class_plane(POINTS, summarise(status("beta")), "beta", "The class's R–D plane")
    assert list(named(fig, "one student's point each").x) == [20.0, 22.0, 5.0]
    means = named(fig, "mean over seeds")
    assert list(means.x) == [21.0, 5.0] and list(means.text) == ["β = 0.5", "β = 4"]
    assert list(means.error_x.array) == [pytest.approx(2**0.5), 0.0]
    assert fig.layout.xaxis.range[0] == 0.0 and "nats per image" in fig.layout.xaxis.title.text


def test_the_curve_is_minus_elbo_against_beta_on_a_log_axis():
    fig = figures.swept_curve(POINTS, summarise(status("beta")), "beta")
    assert fig.layout.xaxis.type == "log" and list(named(fig, "mean over seeds").y) == [50.5, 50.0]
    assert "nats per image" in fig.layout.yaxis.title.text


def test_a_seed_sweep_shows_one_bar_per_seed_and_the_mean_band():
    points = [{**p, "value": float(i)} for i, p in enumerate(POINTS)]
    summary = summarise({"knob": "seed", "points": [{"value": p["value"], "state": "done", "result": p}
                                                    for p in points]})
    fig = figures.swept_curve(points, summary, "seed")
    assert list(named(fig, "one seed each").x) == ["seed 0", "seed 1", "seed 2"]
    assert any("mean" in a.text and "n = 3" in a.text for a in fig.layout.annotations)
    assert named(figures.class_plane(points, summary, "seed"), "mean over seeds").text == ("mean of the seeds",)


def test_no_result_yet_is_an_empty_figure_that_says_so():
    assert "No point yet" in figures.class_plane([], [], "sigma").layout.title.text
    assert not figures.swept_curve([], [], "sigma").data
