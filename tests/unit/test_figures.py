"""Figures are pure functions of arrays: check what they draw, not how it looks."""

import numpy as np

from explorer.figures.bounds import bounds_figure, elbo_split_figure, ellipse, gap_history_figure, posterior_figure
from explorer.figures.curves import training_curves
from explorer.figures.images import tile, upscale
from explorer.figures.latent import latent_map, manifold_figure


def test_latent_map_layers():
    z = np.random.default_rng(0).normal(size=(50, 2))
    labels = np.arange(50) % 3
    fig = latent_map(z, labels, (-3, 3, -3, 3), path=z[:4], extra_points=z[:5])
    names = [t.name for t in fig.data]
    assert names == ["0", "1", "2", "prior samples z ~ N(0, I)", "path"]
    assert sum(len(t.x) for t in fig.data if t.name in {"0", "1", "2"}) == 50
    assert fig.layout.xaxis.range == (-3, 3)
    assert latent_map(z, None, (-3, 3, -3, 3), legend=False).layout.showlegend is False


def test_manifold_puts_the_lowest_row_at_the_bottom():
    tiles = np.zeros((2, 2, 3, 3))
    tiles[0, 1] = 1.0  # grid row 0 (lowest z2), column 1 (highest z1)
    mosaic = manifold_figure(tiles, (0, 1, 0, 1)).data[0].z
    assert mosaic.shape == (6, 6)
    assert mosaic[:3, 3:].min() == 1.0 and mosaic.sum() == 9  # heatmap row 0 is drawn at the bottom


def test_tile_and_upscale():
    images = np.ones((5, 2, 2))
    mosaic = tile(images, ncols=3, pad=1)
    assert mosaic.shape == (2 * 3 - 1, 3 * 3 - 1)
    assert upscale(np.eye(2), 3).shape == (6, 6)


def test_ellipse_radius():
    ring = ellipse(np.array([1.0, -1.0]), np.array([2.0, 0.5]), radius=2)
    np.testing.assert_allclose(((ring - [1, -1]) / ([2.0, 0.5])) ** 2 @ [1, 1], 4.0)


def test_bounds_ladder_labels_the_gap():
    fig = bounds_figure(-100.0, {"naive": (-130.0, 2.0), "ELBO": (-103.5, 0.1), "IWAE-100": (-100.8, 0.3)})
    assert list(fig.data[0].y) == ["naive", "ELBO", "IWAE-100", "log p(x)"]
    assert "3.50 nats" in fig.layout.annotations[0].text


def test_posterior_and_history_figures():
    z = np.linspace(-2, 2, 11)
    log_density = -0.5 * (z[None, :] ** 2 + z[:, None] ** 2)
    fig = posterior_figure(z, z, log_density, np.zeros(2), np.ones(2), np.zeros((3, 2)))
    assert fig.data[0].z.max() == 1.0 and len(fig.data) == 4
    history = {"step": [1, 2], "heldout_log_px": [-5.0, -4.0], "heldout_elbo": [-6.0, -4.5]}
    assert len(gap_history_figure(history).data) == 2
    assert len(training_curves([{"step": 1, "loss": 2.0}], ("loss", "kl")).data) == 1


def test_a_far_naive_bound_is_pinned_to_the_edge_and_keeps_its_value():
    fig = bounds_figure(-128.7, {"naive": (-330.4, 3.0), "ELBO": (-129.1, 0.0), "IWAE-100": (-128.8, 0.05)})
    left, right = fig.layout.xaxis.range
    assert left > -140 and right > -128.7  # the axis is about the tight bounds, not the naive one
    assert fig.data[0].x[0] >= left and "−330.4" in fig.data[0].text[0]  # a true minus sign, as on a slide


def test_elbo_waterfall_adds_up():
    fig = elbo_split_figure(expected_log_likelihood=1.74, kl=3.83)
    assert list(fig.data[0].y[:2]) == [1.74, -3.83] and fig.data[0].text[2] == "−2.09 nats"
