"""Images as arrays for `st.image`: tiling, upscaling with crisp pixels."""

from __future__ import annotations

import numpy as np


def tile(images: np.ndarray, ncols: int, pad: int = 1, pad_value: float = 0.5) -> np.ndarray:
    """(N, H, W) in [0, 1] -> one (rows*(H+pad)-pad, ncols*(W+pad)-pad) mosaic, row-major."""
    n, h, w = images.shape
    nrows = -(-n // ncols)
    canvas = np.full((nrows * (h + pad) - pad, ncols * (w + pad) - pad), pad_value, dtype=np.float32)
    for i, image in enumerate(images):
        r, c = divmod(i, ncols)
        canvas[r * (h + pad) : r * (h + pad) + h, c * (w + pad) : c * (w + pad) + w] = image
    return canvas


def upscale(image: np.ndarray, factor: int) -> np.ndarray:
    """Nearest-neighbour enlargement, so a 28×28 digit stays sharp on a projector."""
    return np.kron(np.clip(image, 0.0, 1.0), np.ones((factor, factor), dtype=np.float32))
