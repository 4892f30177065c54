"""Latent-space helpers: grids, nearest cells, interpolation paths, decoding shapes."""

import numpy as np
import torch

from explorer import models
from explorer.maths import latent


def test_grid_points_row_major_with_y_rising():
    pts = latent.grid_points((0.0, 1.0, 10.0, 12.0), 3)
    assert pts.shape == (9, 2)
    np.testing.assert_allclose(pts[:3, 1], 10.0)
    np.testing.assert_allclose(pts[:3, 0], [0.0, 0.5, 1.0])
    np.testing.assert_allclose(pts[-1], [1.0, 12.0])


def test_lerp_and_slerp_endpoints_and_norm():
    z0, z1 = np.array([2.0, 0.0]), np.array([0.0, 2.0])
    for path in (latent.lerp(z0, z1, 9), latent.slerp(z0, z1, 9)):
        np.testing.assert_allclose(path[0], z0, atol=1e-6)
        np.testing.assert_allclose(path[-1], z1, atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(latent.slerp(z0, z1, 9), axis=1), 2.0, atol=1e-5)
    assert np.linalg.norm(latent.lerp(z0, z1, 9)[4]) < 1.5  # the straight line cuts the middle
    np.testing.assert_allclose(latent.slerp(z0, 2 * z0, 5), latent.lerp(z0, 2 * z0, 5))  # parallel


def test_extent_ignores_outliers_and_pads():
    z = np.concatenate([np.random.default_rng(0).normal(size=(1000, 2)), [[100.0, 100.0]]])
    x0, x1, y0, y1 = latent.latent_extent(z)
    assert -4 < x0 < -2 and 2 < x1 < 4 and y1 < 10


def test_manifold_and_encodings_shapes():
    model = models.build("vae", None, x_dim=16, hidden=(8,), image_shape=(4, 4)).eval()
    tiles = latent.manifold_grid(model, (-1, 1, -1, 1), 5)
    assert tiles.shape == (5, 5, 4, 4) and tiles.min() >= 0 and tiles.max() <= 1
    # the tile at row r, column c is the decode of grid point r*n + c
    pts = latent.grid_points((-1, 1, -1, 1), 5)
    np.testing.assert_allclose(tiles[1, 3].ravel(), latent.decode_points(model, pts[1 * 5 + 3 : 1 * 5 + 4])[0],
                               rtol=1e-5)
    codes = latent.encode_means(model, torch.rand(10, 16), batch_size=3)
    assert codes.shape == (10, 2)
