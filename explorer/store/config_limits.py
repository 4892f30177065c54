"""Bounds on a checkpoint's config and header, checked before anything is built from them (issue 19).

A checkpoint's header is a stranger's text: a 66 KB token prior with `grid` [16000] asked for two 1 GB causal
masks, a 2.8 KB conv VQ-VAE with `image_shape` 2048² for 26 s and 5.5 GB, and `n_layers` 20,000 for 25 s of
building modules, all before a single check. So every field of every model kind is held to a type and a range,
and what the fields multiply out to (parameters, work) is computed by arithmetic from the config, never by
building a model, not even on the meta device. The limits come from what the app can show:

- IMAGE_SIDE_MAX = 64: the app's images are 8×8 (digits) and 28×28 (MNIST, sprites); 64×64 leaves room for a
  dSprites-size set, and 16 such samples, tiled and upscaled ×3, already make a 1,536-pixel-wide figure.
  X_DIM_MAX = 64² is then the largest input, images or points.
- GRID_AREA_MAX = 32² = 1,024: the code grid of the largest image after one stride-2 layer; it bounds a token
  prior's sequence (its causal mask is GRID_AREA_MAX² floats, 4 MiB) and an MLP VQ-VAE's `n_codes`.
- LAYERS_MAX = 8 (MLP hidden layers, prior layers, HVAE groups and blocks per stage; the app uses ≤ 3) and
  CONV_LAYERS_MAX = 6 (64 = 2⁶: one more halving leaves no pixel) bound how many modules a build makes.
- WIDTH_MAX = 4,096 (MLP widths; the app uses ≤ 512), CHANNELS_MAX = 512 (conv channels; the app uses ≤ 64),
  LATENT_MAX = 1,024 (latent units, code dimension; the app uses ≤ 200), CODEBOOK_MAX = 4,096 (codes; the VQ-VAE
  page offers ≤ 512), D_MODEL_MAX = 1,024 and HEADS_MAX = 16 (the shipped prior: 64 and 4).
- PARAMETERS_MAX = 5 · 2²⁰: the numbers a float32 checkpoint at the 20 MB upload limit can hold (the largest
  shipped model stores 1.3 M). An accepted model is then at most 21 MB in memory.
- MULTIPLY_ADDS_MAX = 2²⁶ per sample (one encode and one decode, or one pass of a prior over a whole grid;
  the shipped models need ≤ 6 M): the page decodes 16 prior samples, so at most ~1 G multiply-adds.
- decoder σ in [1e-3, 1e3] (the σ slider spans 0.01–1); EMA decay in [0, 1); k-means iterations ≤ 100.
- The header: HEADER_BYTES_MAX = 1 MiB (shipped headers are ≤ 5 KB) and JSON_DEPTH_MAX = 32 (they nest 3
  deep), checked by a scan of the raw text, because `json.loads` recurses once per level and a 10⁵-deep list
  ends in a RecursionError.
A refusal is a `LimitError` that names the field and its limit; `explorer.store.checkpoints` adds which file it was.
"""

from __future__ import annotations

import dataclasses
import math
import re
from typing import NamedTuple

import numpy as np

from explorer.models.common import LIKELIHOODS
from explorer.models.vqvae import ARCHS

IMAGE_SIDE_MAX = 64
X_DIM_MAX = IMAGE_SIDE_MAX**2
GRID_AREA_MAX = (IMAGE_SIDE_MAX // 2) ** 2
LAYERS_MAX = 8
CONV_LAYERS_MAX = 6
WIDTH_MAX = 4096
CHANNELS_MAX = 512
LATENT_MAX = 1024
CODEBOOK_MAX = 4096
D_MODEL_MAX = 1024
HEADS_MAX = 16
PARAMETERS_MAX = 5 * 2**20
MULTIPLY_ADDS_MAX = 2**26
SIGMA_RANGE = (1e-3, 1e3)
KMEANS_ITERS_MAX = 100
RESET_STEPS_MAX = 10**6
HEADER_BYTES_MAX = 2**20
JSON_DEPTH_MAX = 32

_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')  # a string with its escapes, matched in linear time
_BRACKET_STEP = np.zeros(256, dtype=np.int64)
_BRACKET_STEP[list(b"[{")] = 1
_BRACKET_STEP[list(b"]}")] = -1
_NOT_BRACKETS = bytes(set(range(256)) - set(b"[]{}"))


class LimitError(ValueError):
    """A config or header outside the limits above; the message names the field and the limit."""


class Cost(NamedTuple):
    """What a config multiplies out to: numbers its checkpoint stores, and multiply-adds per sample."""

    stored_numbers: int
    multiply_adds: int


def check_json_text(text: str | bytes | memoryview, what: str) -> None:
    """Refuse JSON text longer than HEADER_BYTES_MAX or nested deeper than JSON_DEPTH_MAX, before parsing it."""
    if len(text) > HEADER_BYTES_MAX:  # before any copy of it
        raise LimitError(f"{what} is over the limit of {HEADER_BYTES_MAX:,} bytes (a Latent Lab header is a few KB)")
    raw = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else bytes(text)
    brackets = _JSON_STRING.sub(b"", raw).translate(None, _NOT_BRACKETS)  # brackets in strings do not nest
    depth = int(np.cumsum(_BRACKET_STEP[np.frombuffer(brackets, dtype=np.uint8)]).max(initial=0))
    if depth > JSON_DEPTH_MAX:
        raise LimitError(f"{what} is nested {depth:,} levels deep, over the limit of {JSON_DEPTH_MAX} "
                         "(a Latent Lab header nests 3 levels)")


def _shown(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:37]}..."


def _integer(config, name: str, low: int, high: int, why: str) -> int:
    value = getattr(config, name)
    if type(value) is not int or not low <= value <= high:  # bool is an int, but not a size
        raise LimitError(f"{name} must be a whole number from {low:,} to {high:,} ({why}), not {_shown(value)}")
    return value


def _integers(config, name: str, count: tuple[int, int], high: int, why: str) -> tuple[int, ...]:
    """A list of `count[0]`..`count[1]` whole numbers from 1 to `high`."""
    values = getattr(config, name)
    if not isinstance(values, (list, tuple)) or not count[0] <= len(values) <= count[1]:
        length = f", {len(values):,} of them" if isinstance(values, (list, tuple)) else ""
        raise LimitError(f"{name} must list {count[0]} to {count[1]} sizes ({why}), not {_shown(values)}{length}")
    if not all(type(value) is int and 1 <= value <= high for value in values):
        raise LimitError(f"{name} must list whole numbers from 1 to {high:,} ({why}), not {_shown(values)}")
    return tuple(values)


def _real(config, name: str, low: float, high: float, why: str, high_open: bool = False) -> float:
    value = getattr(config, name)
    fits = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if not fits or not low <= value <= high or (high_open and value == high):
        span = f"[{low:g}, {high:g}{')' if high_open else ']'}"
        raise LimitError(f"{name} must be a finite number in {span} ({why}), not {_shown(value)}")
    return float(value)


def _choice(config, name: str, options: tuple[str, ...]) -> None:
    value = getattr(config, name)
    if not isinstance(value, str) or value not in options:
        raise LimitError(f"{name} must be one of {', '.join(map(repr, options))}, not {_shown(value)}")


def _flag(config, name: str) -> bool:
    value = getattr(config, name)
    if type(value) is not bool:
        raise LimitError(f"{name} must be true or false, not {_shown(value)}")
    return value


def _decoder(config) -> int:
    """The fields every model of x has: its likelihood, decoder σ, image_shape and x_dim; returns x_dim."""
    _choice(config, "likelihood", LIKELIHOODS)
    _real(config, "decoder_sigma", *SIGMA_RANGE, "the σ slider spans 0.01 to 1")
    shape = config.image_shape
    if shape is not None and (not isinstance(shape, (list, tuple)) or len(shape) != 2
                              or not all(type(side) is int and 1 <= side <= IMAGE_SIDE_MAX for side in shape)):
        raise LimitError(f"image_shape must be None or [height, width], each from 1 to {IMAGE_SIDE_MAX} (the "
                         f"largest image the app shows), not {_shown(shape)}")
    x_dim = _integer(config, "x_dim", 1, X_DIM_MAX, f"an image of at most {IMAGE_SIDE_MAX}×{IMAGE_SIDE_MAX}")
    if shape is not None and math.prod(shape) != x_dim:
        raise LimitError(f"image_shape {_shown(shape)} has {math.prod(shape):,} pixels but x_dim is {x_dim:,}")
    return x_dim


def _linear(n_in: int, n_out: int) -> int:
    return n_in * n_out + n_out  # weight and bias of nn.Linear


def _mlp(sizes: tuple[int, ...]) -> int:
    """Stored numbers of `explorer.models.common.mlp(sizes)`."""
    return sum(_linear(n_in, n_out) for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=False))


def _hidden(config) -> tuple[int, ...]:
    return _integers(config, "hidden", (0, LAYERS_MAX), WIDTH_MAX, "the widths of an MLP's hidden layers")


def _encoder_decoder(x_dim: int, hidden: tuple[int, ...], code_in: int, code_out: int) -> int:
    """An MLP encoder x -> code_out and its mirror decoder code_in -> x."""
    return _mlp((x_dim, *hidden, code_out)) + _mlp((code_in, *reversed(hidden), x_dim))


def _autoencoder(config, outputs_per_unit: int) -> Cost:
    """The AE (the encoder gives z) and the VAE (it gives μ and log σ² side by side)."""
    x_dim, hidden = _decoder(config), _hidden(config)
    z_dim = _integer(config, "z_dim", 1, LATENT_MAX, "latent units")
    stored = _encoder_decoder(x_dim, hidden, z_dim, outputs_per_unit * z_dim) + 2 * z_dim  # + p(z)'s loc, scale
    return Cost(stored, stored)  # an MLP does about one multiply-add per stored number


def _gumbel(config) -> Cost:
    x_dim, hidden = _decoder(config), _hidden(config)
    groups = _integer(config, "groups", 1, LATENT_MAX, "categorical latent variables")
    categories = _integer(config, "categories", 1, LATENT_MAX, "categories of each")
    if groups * categories > LATENT_MAX:
        raise LimitError(f"groups × categories = {groups * categories:,} latent units, over the limit of "
                         f"{LATENT_MAX:,}")
    z_dim = groups * categories
    stored = _encoder_decoder(x_dim, hidden, z_dim, z_dim) + 3 * z_dim  # + p(z)'s loc, scale and logits
    return Cost(stored, stored)


def _hvae(config) -> Cost:
    x_dim = _decoder(config)
    groups = _integers(config, "groups", (1, LAYERS_MAX), LATENT_MAX, "the sizes of the latent groups")
    if sum(groups) > LATENT_MAX:
        raise LimitError(f"groups add up to {sum(groups):,} latent units, over the limit of {LATENT_MAX:,}")
    width = _integer(config, "hidden", 1, WIDTH_MAX, "the width of every residual stage")
    blocks = _integer(config, "blocks", 0, LAYERS_MAX, "residual blocks per stage")
    stages = 2 * len(groups) * blocks * 2 * _linear(width, width)  # up and down paths, two layers a block
    heads = sum(_linear(width, 2 * size) for size in groups[:-1]) + sum(_linear(2 * width, 2 * size) for size in groups)
    stored = (_linear(x_dim, width) + stages + width + heads + sum(_linear(size, width) for size in groups)
              + _linear(width, x_dim))
    return Cost(stored, stored)


def _conv_grid(config) -> tuple[tuple[int, ...], int]:
    """The conv channels and the number of code positions of an image model (VQ-VAE "conv", conv VAE)."""
    _decoder(config)
    hidden = _integers(config, "hidden", (1, CONV_LAYERS_MAX), CHANNELS_MAX, "channels of the stride-2 layers")
    factor, shape = 2 ** len(hidden), config.image_shape
    if shape is None or any(side % factor for side in shape):
        raise LimitError(f"image_shape must be [height, width] with sides divisible by 2^{len(hidden)} = {factor} "
                         f"for {len(hidden)} stride-2 layers, not {_shown(shape)}")
    return hidden, (shape[0] // factor) * (shape[1] // factor)


def _conv(hidden: tuple[int, ...], positions: int, encoder_out: int, decoder_in: int) -> Cost:
    """`explorer.models.vqvae.conv_encoder(hidden, encoder_out)` and `conv_decoder(hidden, decoder_in)`: stored
    numbers, and multiply-adds (weights × the positions each is applied at) for one image."""
    stored = macs = 0
    for depth, (n_in, n_out) in enumerate(zip((1, *hidden[:-1]), hidden, strict=True)):  # 4×4, stride 2
        stored += 16 * n_in * n_out + n_out
        macs += 16 * n_in * n_out * positions * 4 ** (len(hidden) - 1 - depth)
    stored += _linear(hidden[-1], encoder_out)  # the 1×1 convolution to the code
    macs += hidden[-1] * encoder_out * positions
    widths = tuple(reversed(hidden))
    stored += 9 * decoder_in * widths[0] + widths[0]  # 3×3 from the code
    macs += 9 * decoder_in * widths[0] * positions
    for depth, (n_in, n_out) in enumerate(zip(widths, (*widths[1:], 1), strict=True)):  # 4×4 transposed
        stored += 16 * n_in * n_out + n_out
        macs += 16 * n_in * n_out * positions * 4**depth
    return Cost(stored, macs)


def _vqvae(config) -> Cost:
    _choice(config, "arch", ARCHS)
    codebook_size = _integer(config, "codebook_size", 1, CODEBOOK_MAX, "codes in the codebook")
    code_dim = _integer(config, "code_dim", 1, LATENT_MAX, "the dimension of a code")
    n_codes = _integer(config, "n_codes", 1, GRID_AREA_MAX, "codes per sample of the MLP VQ-VAE")
    ema = _flag(config, "ema")
    _flag(config, "kmeans_init")
    _real(config, "ema_decay", 0.0, 1.0, "a moving average's decay", high_open=True)
    _real(config, "ema_epsilon", 1e-12, 1.0, "the smoothing of the EMA counts")
    _integer(config, "kmeans_iters", 0, KMEANS_ITERS_MAX, "Lloyd iterations at the first training step")
    _integer(config, "dead_code_reset_steps", 0, RESET_STEPS_MAX, "training steps")
    if config.arch == "conv":
        hidden, positions = _conv_grid(config)
        stored, macs = _conv(hidden, positions, code_dim, code_dim)
    else:
        positions, width = n_codes, n_codes * code_dim
        stored = macs = _encoder_decoder(_decoder(config), _hidden(config), width, width)
    # the codebook, its usage counters and the `initialized` flag (+ the EMA statistics)
    stored += codebook_size * code_dim + 3 * codebook_size + 1 + (codebook_size * (code_dim + 1) if ema else 0)
    return Cost(stored, macs + positions * codebook_size * code_dim)  # + the nearest-code search


def _convvae(config) -> Cost:
    code_dim = _integer(config, "code_dim", 1, LATENT_MAX, "Gaussian units at every code position")
    hidden, positions = _conv_grid(config)
    stored, macs = _conv(hidden, positions, 2 * code_dim, code_dim)
    return Cost(stored + 2 * positions * code_dim, macs)  # + p(z)'s loc and scale


def _prior(config) -> Cost:
    codebook_size = _integer(config, "codebook_size", 1, CODEBOOK_MAX, "codes of the VQ-VAE")
    grid = _integers(config, "grid", (1, 2), GRID_AREA_MAX, "a code grid, (positions,) or (height, width)")
    length = math.prod(grid)
    if length > GRID_AREA_MAX:
        raise LimitError(f"grid {_shown(grid)} has {length:,} positions, over the limit of {GRID_AREA_MAX:,} (the "
                         f"code grid of a {IMAGE_SIDE_MAX}×{IMAGE_SIDE_MAX} image after one stride-2 layer)")
    d_model = _integer(config, "d_model", 1, D_MODEL_MAX, "the transformer's width")
    heads = _integer(config, "n_heads", 1, HEADS_MAX, "attention heads")
    if d_model % heads:
        raise LimitError(f"n_heads ({heads}) must divide d_model ({d_model})")
    layers = _integer(config, "n_layers", 1, LAYERS_MAX, "transformer layers")
    per_layer = 12 * d_model**2 + 13 * d_model  # attention 4d² + 4d, feed-forward 8d² + 5d, two norms 4d
    stored = ((codebook_size + 1 + length) * d_model + layers * per_layer + 2 * d_model
              + _linear(d_model, codebook_size))
    macs = layers * (length * 12 * d_model**2 + 2 * length**2 * d_model) + length * d_model * codebook_size
    return Cost(stored, macs)


_CHECKS = {"ae": lambda config: _autoencoder(config, 1), "vae": lambda config: _autoencoder(config, 2),
           "gumbel": _gumbel, "hvae": _hvae, "vqvae": _vqvae, "convvae": _convvae, "prior": _prior}


def check(kind: str, config) -> Cost:
    """Refuse a `kind` config outside the limits (a `LimitError` naming the field); else what it costs."""
    if kind not in _CHECKS:
        raise LimitError(f"no limits are known for the model kind {kind!r}")
    if not dataclasses.is_dataclass(config):
        raise LimitError(f"a {kind!r} config must be a config dataclass, not {type(config).__name__}")
    cost = _CHECKS[kind](config)
    if cost.stored_numbers > PARAMETERS_MAX:
        raise LimitError(f"the config describes {cost.stored_numbers:,} parameters and buffers, over the limit "
                         f"of {PARAMETERS_MAX:,} (what a float32 checkpoint at the 20 MB upload limit holds)")
    if cost.multiply_adds > MULTIPLY_ADDS_MAX:
        raise LimitError(f"the config needs {cost.multiply_adds:,} multiply-adds per sample, over the limit of "
                         f"{MULTIPLY_ADDS_MAX:,} (16 samples must decode in well under a second)")
    return cost
