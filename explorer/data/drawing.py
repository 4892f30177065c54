"""A digit drawn on a canvas, made into an MNIST-like 28×28 image the models can read.

MNIST's own recipe (LeCun et al. 1998): the digit's bounding box is scaled to fit a 20×20 box,
aspect ratio kept, with anti-aliasing; the result is placed in a 28×28 field so that its centre
of mass sits at the field's centre.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

FIELD = 28
BOX = 20
MIN_INK = 0.02  # share of the canvas that must be inked before a drawing counts as a digit
FULL_INK = 0.6  # beyond this share the "digit" is a filled canvas, not a stroke


class EmptyDrawing(ValueError):
    """Too little (or too much) ink to be a digit; the message says what to do."""


def ink(canvas: np.ndarray) -> np.ndarray:
    """The ink of an (H, W, 4) RGBA or (H, W) grey canvas as floats in [0, 1] (white on black)."""
    canvas = np.asarray(canvas, dtype=np.float32)
    if canvas.ndim == 3:
        # brightness weighted by opacity: a transparent canvas is black, a white stroke is 1
        canvas = canvas[..., :3].mean(axis=-1) * (canvas[..., 3] / 255.0 if canvas.shape[-1] == 4 else 1.0)
    return np.clip(canvas / 255.0 if canvas.max() > 1.0 else canvas, 0.0, 1.0)


def check_ink(grey: np.ndarray) -> None:
    share = float((grey > 0.1).mean())
    if share < MIN_INK:
        raise EmptyDrawing("The canvas is (nearly) empty: draw a digit with the mouse or a finger.")
    if share > FULL_INK:
        raise EmptyDrawing("The canvas is mostly ink: clear it and draw a single digit.")


def centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    rows, cols = np.indices(image.shape)
    total = image.sum()
    return float((rows * image).sum() / total), float((cols * image).sum() / total)


def to_mnist(canvas: np.ndarray) -> np.ndarray:
    """(H, W[, 4]) canvas -> (28, 28) float32 in [0, 1], preprocessed as MNIST was.

    Raises `EmptyDrawing` for a blank or flooded canvas.
    """
    grey = ink(canvas)
    check_ink(grey)
    rows, cols = np.nonzero(grey > 0.1)
    crop = grey[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
    scale = BOX / max(crop.shape)
    height, width = max(1, round(crop.shape[0] * scale)), max(1, round(crop.shape[1] * scale))
    small = np.asarray(Image.fromarray((crop * 255).astype(np.uint8)).resize((width, height), Image.LANCZOS),
                       dtype=np.float32) / 255.0
    field = np.zeros((FIELD, FIELD), dtype=np.float32)
    com_row, com_col = centre_of_mass(small)
    top = int(np.clip(round(FIELD / 2 - com_row), 0, FIELD - height))
    left = int(np.clip(round(FIELD / 2 - com_col), 0, FIELD - width))
    field[top : top + height, left : left + width] = small
    return np.clip(field, 0.0, 1.0)
