"""Procedural dSprites-like images (Matthey et al. 2017) drawn from known factors.

Shape (square, ellipse, heart), scale, rotation and the x, y position of the centroid are
sampled uniformly and independently; each shape is a signed distance to its edge, evaluated at
every pixel centre in one vectorised pass and turned into coverage with a one-pixel soft edge.
Knowing the true factors is what lets the β-VAE pages measure disentanglement.
"""

import math
from collections.abc import Callable
from functools import partial

import torch

SPRITE_SHAPES = ("square", "ellipse", "heart")
SPRITE_FACTORS = ("shape", "scale", "rotation", "x", "y")
SPRITE_SIZE = 28
_SPRITE_RADIUS = 0.2  # every shape fits in a circle of this radius (image widths) at scale 1
SCALE_RANGE = (0.5, 1.0)
# The soft edge reaches half a pixel out; one more pixel keeps the border rows and columns black.
_EDGE_MARGIN = _SPRITE_RADIUS * SCALE_RANGE[1] + 1.5 / SPRITE_SIZE
POSITION_RANGE = (_EDGE_MARGIN, 1.0 - _EDGE_MARGIN)

# Each shape is a signed distance to its edge (negative inside) in a frame where it fits in the
# unit circle centred on its centroid.
_SQUARE_HALF_SIDE = 0.65  # corners at 0.92 from the centre
_ELLIPSE_AXES = (1.0, 0.5)
# The heart: a unit square standing on a corner, with a disc of radius 1/2 on each upper side.
# Each half-disc outside the square (area pi/8) has its centroid 2/(3 pi) beyond its centre, so
# the heart's centroid lies this far above the square's centre; its tip is the farthest point.
_LOBE_CENTRE = 0.5 / math.sqrt(2)
_HEART_CENTROID_Y = ((math.pi / 4) * (_LOBE_CENTRE + 2 / (3 * math.pi) / math.sqrt(2))
                     / (1 + math.pi / 4))
_HEART_REACH = 1 / math.sqrt(2) + _HEART_CENTROID_Y


def _box_edge(u: torch.Tensor, v: torch.Tensor, half_side: float) -> torch.Tensor:
    outside_u, outside_v = u.abs() - half_side, v.abs() - half_side
    return (torch.hypot(outside_u.clamp_min(0), outside_v.clamp_min(0))
            + torch.maximum(outside_u, outside_v).clamp_max(0))


def _ellipse_edge(u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    a, b = _ELLIPSE_AXES
    level = (u / a) ** 2 + (v / b) ** 2 - 1
    # level / |gradient| approximates the distance near the edge; at the centre it is -inf: inside.
    return level / (2 * torch.hypot(u / a**2, v / b**2))


def _heart_edge(u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    x, y = u * _HEART_REACH, v * _HEART_REACH + _HEART_CENTROID_Y
    square = _box_edge((x + y) / math.sqrt(2), (y - x) / math.sqrt(2), 0.5)
    lobes = torch.hypot(x.abs() - _LOBE_CENTRE, y - _LOBE_CENTRE) - 0.5
    return torch.minimum(square, lobes) / _HEART_REACH


_SHAPE_EDGES = (partial(_box_edge, half_side=_SQUARE_HALF_SIDE), _ellipse_edge, _heart_edge)


def draw_sprites(factors: torch.Tensor) -> torch.Tensor:
    """Draw (N, 28, 28) images in [0, 1] from (N, 5) float factors ordered as `SPRITE_FACTORS`.

    shape indexes `SPRITE_SHAPES`; scale multiplies the size; rotation (radians) turns the shape
    anticlockwise as displayed; x and y place its centroid, as fractions of the image's width
    and height from the top-left corner. Within `SCALE_RANGE` and `POSITION_RANGE` every shape
    lies wholly inside the image.
    """
    factors = torch.as_tensor(factors, dtype=torch.float32)
    images = torch.zeros(len(factors), SPRITE_SIZE, SPRITE_SIZE)
    for shape, edge in enumerate(_SHAPE_EDGES):
        chosen = factors[:, 0] == shape
        images[chosen] = _draw_shape(edge, factors[chosen])
    return images


def _draw_shape(edge: Callable, factors: torch.Tensor) -> torch.Tensor:
    """Evaluate the shape's edge distance at every pixel centre, mapped into the shape's frame."""
    scale, rotation, x, y = (column.view(-1, 1, 1) for column in factors[:, 1:].unbind(1))
    pixel_centres = (torch.arange(SPRITE_SIZE) + 0.5) / SPRITE_SIZE
    right = pixel_centres.view(1, 1, -1) - x
    up = y - pixel_centres.view(1, -1, 1)  # image rows run downwards
    size = _SPRITE_RADIUS * scale
    # Per-image factors are folded together first, so that each full grid costs one operation.
    cos, sin = rotation.cos() / size, rotation.sin() / size
    u, v = cos * right + sin * up, cos * up - sin * right
    # Signed distance in pixels -> coverage: a one-pixel ramp across the edge anti-aliases it.
    distance_in_pixels = edge(u, v) * (size * SPRITE_SIZE)
    return (0.5 - distance_in_pixels).clamp_(0.0, 1.0)


def sample_factors(n: int, seed: int) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    shape = torch.randint(len(SPRITE_SHAPES), (n,), generator=generator).float()
    uniform = torch.rand(n, 4, generator=generator)
    low = torch.tensor([SCALE_RANGE[0], 0.0, POSITION_RANGE[0], POSITION_RANGE[0]])
    high = torch.tensor([SCALE_RANGE[1], 2 * math.pi, POSITION_RANGE[1], POSITION_RANGE[1]])
    return torch.cat([shape[:, None], low + (high - low) * uniform], dim=1)
