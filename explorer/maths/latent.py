"""Latent-space computations behind the "Latent space" page: encodings, grids and paths.

Pure functions of a model and tensors; the page only draws what they return.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn


@torch.no_grad()
def encode_means(model: nn.Module, x: torch.Tensor, batch_size: int = 2048) -> np.ndarray:
    """E_q[z|x] for every row of x, (N, x_dim) -> (N, z_dim) float32 array (an AE's code itself)."""
    device = next(model.parameters()).device
    parts = [model.encode(x[i : i + batch_size].to(device)).mean for i in range(0, len(x), batch_size)]
    return torch.cat(parts).cpu().numpy()


def latent_extent(z: np.ndarray, quantile: float = 0.01, pad: float = 0.15) -> tuple[float, float, float, float]:
    """A square-ish view box (x0, x1, y0, y1) holding the central mass of the codes, padded.

    Quantiles rather than min/max, so a few far-flung codes do not shrink everything else.
    """
    lo = np.quantile(z[:, :2], quantile, axis=0)
    hi = np.quantile(z[:, :2], 1 - quantile, axis=0)
    margin = pad * (hi - lo).max()
    return float(lo[0] - margin), float(hi[0] + margin), float(lo[1] - margin), float(hi[1] + margin)


def grid_points(extent: tuple[float, float, float, float], n: int) -> np.ndarray:
    """An n×n grid of 2-D points over the box, row-major with y rising by row, (n*n, 2)."""
    x0, x1, y0, y1 = extent
    xs, ys = np.linspace(x0, x1, n), np.linspace(y0, y1, n)
    gx, gy = np.meshgrid(xs, ys)  # (n, n) each, gy constant along a row
    return np.stack([gx.ravel(), gy.ravel()], axis=1).astype(np.float32)


@torch.no_grad()
def decode_points(model: nn.Module, z: np.ndarray) -> np.ndarray:
    """E[x|z] for 2-D points, (M, 2) -> (M, x_dim) float32 array."""
    device = next(model.parameters()).device
    return model.decode_mean(torch.as_tensor(z, dtype=torch.float32, device=device)).cpu().numpy()


def manifold_grid(model: nn.Module, extent: tuple[float, float, float, float], n: int) -> np.ndarray:
    """Decoded images on an n×n grid over the box, (n, n, H, W), row 0 at the lowest y."""
    h, w = model.config.image_shape
    return decode_points(model, grid_points(extent, n)).reshape(n, n, h, w)  # (n*n, H*W) -> (n, n, H, W)


def lerp(z0: np.ndarray, z1: np.ndarray, steps: int) -> np.ndarray:
    """Points on the straight line from z0 to z1, (steps, J)."""
    t = np.linspace(0.0, 1.0, steps)[:, None]
    return ((1 - t) * z0 + t * z1).astype(np.float32)


def slerp(z0: np.ndarray, z1: np.ndarray, steps: int) -> np.ndarray:
    """Spherical interpolation (Shoemake 1985), (steps, J).

    With Ω the angle between z0 and z1, z(t) = sin((1-t)Ω)/sin Ω · z0 + sin(tΩ)/sin Ω · z1.
    For equal norms it keeps the norm, so the path stays in the shell where N(0, I) puts its
    mass instead of cutting through the low-norm middle; it falls back to a straight line when
    the two directions (nearly) coincide, where sin Ω → 0.
    """
    n0, n1 = np.linalg.norm(z0), np.linalg.norm(z1)
    cos_omega = float(np.dot(z0, z1) / max(n0 * n1, 1e-12))
    omega = np.arccos(np.clip(cos_omega, -1.0, 1.0))
    if np.sin(omega) < 1e-6:
        return lerp(z0, z1, steps)
    t = np.linspace(0.0, 1.0, steps)[:, None]
    path = (np.sin((1 - t) * omega) * z0 + np.sin(t * omega) * z1) / np.sin(omega)
    return path.astype(np.float32)

