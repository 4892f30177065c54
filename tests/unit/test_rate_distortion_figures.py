"""What the β page's figures draw: the R-D plane with iso-ELBO lines, KL bars, traversals, MIG."""

import numpy as np
import pytest

from explorer.figures import PALETTE
from explorer.figures import rate_distortion as rd

SWEEP = [{"rate": r, "distortion": d, "label": f"β={b:g}", "group": "sweep"}
         for b, r, d in ((0.1, 27.0, 16.5), (1.0, 11.0, 22.4), (8.0, 3.3, 42.6))]


def traces_named(fig, name):
    return [t for t in fig.data if t.name == name]


def test_iso_elbo_levels_are_round_and_inside_the_span():
    np.testing.assert_allclose(rd.iso_elbo_levels(10.0, 60.0, n=5), [20, 30, 40, 50])
    levels = rd.iso_elbo_levels(103.2, 117.9, n=5)
    assert (levels > 103.2).all() and (levels < 117.9).all() and len(levels) >= 3
    assert np.allclose(np.diff(levels), levels[1] - levels[0])


def test_rate_distortion_plane_draws_points_iso_lines_and_the_live_model():
    trail = np.array([[30.0, 60.0], [20.0, 35.0]])
    fig = rd.rate_distortion_plane(SWEEP, live=(12.0, 25.0), trail=trail, title="R-D")
    (sweep,) = traces_named(fig, "sweep")
    assert list(sweep.text) == ["β=0.1", "β=1", "β=8"] and list(sweep.x) == [27.0, 11.0, 3.3]
    (live,) = traces_named(fig, "live model now")
    assert (live.x[0], live.y[0]) == (12.0, 25.0) and live.marker.symbol == "star"
    assert list(traces_named(fig, "live run so far")[0].x) == [30.0, 20.0]
    iso = [t for t in fig.data if t.line.dash == "dash"]
    assert len(iso) >= 2
    for line in iso:  # R + D = const: slope -1
        assert line.x[0] + line.y[0] == pytest.approx(line.x[1] + line.y[1])
    x_range, y_range = fig.layout.xaxis.range, fig.layout.yaxis.range
    assert x_range[0] == 0.0 and x_range[1] > 30.0
    assert y_range[0] < 16.5 and y_range[1] > 60.0
    labels = fig.layout.annotations
    assert labels and all(float(a.text) == pytest.approx(a.x + a.y) for a in labels)  # each line's −ELBO


def test_rate_distortion_plane_groups_and_empty():
    pretrained = [{**p, "group": "pretrained"} for p in SWEEP[:2]]
    fig = rd.rate_distortion_plane(SWEEP + pretrained)
    assert [t.name for t in fig.data if t.mode == "lines+markers+text"] == ["sweep", "pretrained"]
    assert rd.rate_distortion_plane([]).layout.title.text == "No model yet"
    single = rd.rate_distortion_plane(SWEEP[:1])  # one point: the distortion axis still spans half the rate axis
    y_range, x_range = single.layout.yaxis.range, single.layout.xaxis.range
    assert y_range[1] - y_range[0] == pytest.approx(0.5 * (x_range[1] - x_range[0]))


def test_kl_bars_colour_active_inactive_and_collapsed_units():
    kl = np.array([2.0, 0.004, 0.3, 0.0])
    active = np.array([True, False, True, False])
    collapsed = np.array([False, False, False, True])
    fig = rd.kl_per_unit_bars(kl, active, collapsed, free_bits=0.5)
    bars = {t.name: t for t in fig.data}
    assert set(bars) == {"active (2)", "inactive (1)", "collapsed (1)"}
    assert list(bars["active (2)"].x) == ["z1", "z3"] and bars["active (2)"].marker.color == PALETTE[0]
    assert list(bars["collapsed (1)"].x) == ["z4"] and bars["collapsed (1)"].marker.color == rd.COLLAPSED_GREY
    assert list(fig.layout.xaxis.categoryarray) == ["z1", "z2", "z3", "z4"]
    assert fig.layout.shapes[0].y0 == 0.5  # the free-bits line
    plain = rd.kl_per_unit_bars(kl, active, collapsed, y_max=3.0, values=False)
    assert not plain.layout.shapes and tuple(plain.layout.yaxis.range) == (0, 3.0)
    assert all(t.text is None for t in plain.data)


def test_traversal_mosaic_puts_units_in_rows_in_the_given_order():
    units, steps, shape = 3, 4, (2, 3)
    traversal = np.stack([np.full((steps, 6), u / 10) for u in range(units)])  # unit u: every pixel u / 10
    mosaic = rd.traversal_mosaic(traversal, shape, rows=[2, 0, 1])
    assert mosaic.shape == (units * 3 - 1, steps * 4 - 1)
    assert mosaic[0, 0] == pytest.approx(0.2) and mosaic[3, 0] == pytest.approx(0.0)
    assert mosaic[6, 0] == pytest.approx(0.1)


def test_traversal_figure_names_rows_and_columns():
    mosaic = rd.traversal_mosaic(np.zeros((2, 3, 4)), (2, 2))
    fig = rd.traversal_figure(mosaic, ["z1 · 2.00 nats", "z2 · 0.01 nats"], (-3.0, 0.0, 3.0), (2, 2), "T")
    assert list(fig.layout.yaxis.ticktext) == ["z1 · 2.00 nats", "z2 · 0.01 nats"]
    assert list(fig.layout.xaxis.ticktext) == ["−3.0", "+0.0", "+3.0"]
    assert fig.layout.yaxis.autorange == "reversed" and fig.data[0].zmin == 0 and fig.data[0].zmax == 1


def test_mig_figures():
    fig = rd.mig_vs_beta({"sweep": ([0.1, 1.0, 8.0], [0.01, 0.02, 0.11]), "pretrained": ([4.0], [0.05])})
    assert fig.layout.xaxis.type == "log" and [t.name for t in fig.data] == ["sweep", "pretrained"]
    assert list(fig.layout.xaxis.ticktext) == ["0.1", "1", "4", "8"]
    bars = rd.mig_gap_bars(("shape", "x"), np.array([np.nan, 0.4]))
    assert list(bars.data[0].y) == [0.0, 0.4] and list(bars.data[0].x) == ["shape", "x"]
