"""Every dataset of Latent Lab as in-memory tensors, with labels and true factors where known.

`load(name, split)` returns a `Dataset`: 2-D point sets (`TOY2D`) for pictures of densities and
latent spaces, and image sets (`IMAGE_SETS`) for the models of the lecture. Everything is
generated or split with fixed seeds, so the same call gives the same data on every machine.

Loads are memoized: every caller gets the same `Dataset` and the same tensors, so callers must
never modify them in place (copy first: ``x = dataset.x.clone()``). `load.cache_clear()` forgets
them, which tests use to check that a fresh generation is identical.

MNIST's files are found, downloaded and verified by `explorer.data.mnist` (see there for where).
"""

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from explorer.data import mnist
from explorer.data.mnist import DatasetUnavailable
from explorer.data.sprites import (
    POSITION_RANGE,
    SPRITE_FACTORS,
    SPRITE_SHAPES,
    SPRITE_SIZE,
    draw_sprites,
    sample_factors,
)

__all__ = ["CONSTRUCTED", "IMAGE_SETS", "POSITION_RANGE", "SPLITS", "SPRITE_FACTORS", "SPRITE_SHAPES", "TOY2D",
           "Dataset", "DatasetUnavailable", "draw_sprites", "load", "names"]

TOY2D: tuple[str, ...] = ("moons", "circles", "pinwheel", "8gaussians", "swissroll", "checkerboard")
IMAGE_SETS = ("digits", "sprites", "mnist")
CONSTRUCTED = ("clusters64",)  # built for one lesson: posterior collapse as a trap (explorer.analysis.collapse)
SPLITS = ("train", "test")
SEEDS = {"train": 0, "test": 1}  # toy2d and sprites draw each split from its own generator
SPLIT_SEED = 0  # the permutation that splits digits (and MNIST's t10k when it is alone)


@dataclass(frozen=True, eq=False)
class Dataset:
    """One split of one dataset. Its tensors are shared by every caller: never modify them."""

    name: str
    split: str
    x: torch.Tensor  # (N, D) float32; images flattened row-major, pixel values in [0, 1]
    labels: torch.Tensor | None  # (N,) int64 class labels where known
    factors: torch.Tensor | None  # (N, F) float32 true generative factors where known
    factor_names: tuple[str, ...]  # one name per column of factors
    image_shape: tuple[int, int] | None  # (H, W) for image sets, None for 2-D points
    likelihood: str  # the decoder a model should use: "bernoulli" or "gaussian"
    source: str  # one line of provenance

    def __post_init__(self) -> None:
        x = self.x
        if x.dtype != torch.float32 or x.dim() != 2 or not x.is_contiguous():
            raise ValueError("x must be a contiguous (N, D) float32 tensor")
        n, labels, factors = len(x), self.labels, self.factors
        if labels is not None and (labels.dtype, labels.shape) != (torch.int64, (n,)):
            raise ValueError("labels must be an (N,) int64 tensor")
        factors_form = None if factors is None else (factors.dtype, factors.shape)
        if factors_form != ((torch.float32, (n, len(self.factor_names))) if self.factor_names
                            else None):
            raise ValueError("factors must be (N, F) float32 with F names in factor_names, "
                             "or None with ()")
        if self.image_shape is not None and math.prod(self.image_shape) != x.shape[1]:
            raise ValueError(f"image_shape {self.image_shape} does not match x_dim {x.shape[1]}")
        if self.likelihood not in ("bernoulli", "gaussian"):
            raise ValueError(f"likelihood {self.likelihood!r} is not 'bernoulli' or 'gaussian'")

    @property
    def x_dim(self) -> int:
        return self.x.shape[1]

    def __len__(self) -> int:
        return self.x.shape[0]

    @property
    def is_image(self) -> bool:
        return self.image_shape is not None

    def images(self) -> torch.Tensor:
        """(N, H, W) view of x (shared memory, like x itself)."""
        if self.image_shape is None:
            raise ValueError(f"{self.name!r} is a set of 2-D points, not images")
        return self.x.view(-1, *self.image_shape)


def names() -> tuple[str, ...]:
    """Every name `load` accepts."""
    return TOY2D + IMAGE_SETS + CONSTRUCTED


def load(name: str, split: str = "train") -> Dataset:
    """The `split` ("train" or "test") of dataset `name`, memoized: see the module docstring.

    Raises ValueError for an unknown name or split, and `DatasetUnavailable` when MNIST
    cannot be found or downloaded.
    """
    if name not in names():
        raise ValueError(f"unknown dataset {name!r}; choose one of: {', '.join(names())}")
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; choose one of: {', '.join(SPLITS)}")
    try:
        return _load_locked(name, split)
    except mnist.NotOnThisMachine:
        # Downloading is done without the lock, so it holds up no other session's load; the
        # download itself is bounded in time and shared (explorer.data.mnist_download).
        mnist.fetch()
        return _load_locked(name, split)


def _load_locked(name: str, split: str) -> Dataset:
    # One lock per name: concurrent sessions build a set once and share one object.
    with _locks[name]:
        if name not in _loaded:
            _loaded[name] = _build_toy(name) if name in TOY2D else _BUILDERS[name]()
    return _loaded[name][split]


_loaded: dict[str, dict[str, Dataset]] = {}
_locks = {name: threading.Lock() for name in names()}
load.cache_clear = _loaded.clear  # type: ignore[attr-defined]  # the spelling of functools' caches


# --- toy2d: (n, seed) -> (points (n, 2), labels (n,) or None) -----------------------------------

def _moons(n: int, seed: int) -> tuple[np.ndarray, np.ndarray | None]:
    # Imported here, not at the top: sklearn adds a second to every cold start of the app.
    from sklearn.datasets import make_moons

    return make_moons(n, noise=0.08, random_state=seed)


def _circles(n: int, seed: int) -> tuple[np.ndarray, np.ndarray | None]:
    from sklearn.datasets import make_circles

    return make_circles(n, noise=0.05, factor=0.5, random_state=seed)


def _swissroll(n: int, seed: int) -> tuple[np.ndarray, np.ndarray | None]:
    from sklearn.datasets import make_swiss_roll

    points, _ = make_swiss_roll(n, noise=0.5, random_state=seed)
    return points[:, [0, 2]], None


def _pinwheel(n: int, seed: int) -> tuple[np.ndarray, np.ndarray | None]:
    rng, arms = np.random.default_rng(seed), 5
    labels = rng.permutation(np.arange(n) % arms)
    radial, tangential = rng.normal(1.0, 0.3, n), rng.normal(0.0, 0.1, n)
    # Points further out are turned further: that is what bends the arms.
    angle = 2 * np.pi * labels / arms + 0.25 * np.exp(radial)
    points = np.stack([radial * np.cos(angle) - tangential * np.sin(angle),
                       radial * np.sin(angle) + tangential * np.cos(angle)], axis=1)
    return points, labels


def _eight_gaussians(n: int, seed: int) -> tuple[np.ndarray, np.ndarray | None]:
    rng = np.random.default_rng(seed)
    labels = rng.permutation(np.arange(n) % 8)
    centres = 2.0 * np.stack([np.cos(labels * np.pi / 4), np.sin(labels * np.pi / 4)], axis=1)
    return centres + 0.2 * rng.standard_normal((n, 2)), labels


def _checkerboard(n: int, seed: int) -> tuple[np.ndarray, np.ndarray | None]:
    rng = np.random.default_rng(seed)
    labels = rng.permutation(np.arange(n) % 8)
    column = labels % 4
    row = 2 * (labels // 4) + column % 2  # keeps column + row even: the 8 dark squares of 4 x 4
    return np.stack([column, row], axis=1) - 2.0 + rng.random((n, 2)), labels


_TOY_RECIPES: dict[str, tuple[Callable, str]] = {
    "moons": (_moons, "scikit-learn make_moons, noise 0.08; label = moon"),
    "circles": (_circles, "scikit-learn make_circles, noise 0.05, factor 0.5; label 1 = inner"),
    "pinwheel": (_pinwheel, "5 arms, radial sd 0.3, tangential sd 0.1, rate 0.25; label = arm"),
    "8gaussians": (_eight_gaussians, "8 Gaussians of sd 0.2 on a circle of radius 2"),
    "swissroll": (_swissroll, "scikit-learn make_swiss_roll, (x, z), noise 0.5; no labels"),
    "checkerboard": (_checkerboard, "uniform on the 8 dark squares of a 4 x 4 board"),
}
_TOY_SIZES = {"train": 5_000, "test": 1_000}


def _build_toy(name: str) -> dict[str, Dataset]:
    generate, recipe = _TOY_RECIPES[name]
    drawn = {split: generate(_TOY_SIZES[split], SEEDS[split]) for split in SPLITS}
    # Both splits get the train split's shift and scale, so they live in the same space.
    mean, std = drawn["train"][0].mean(axis=0), drawn["train"][0].std(axis=0)
    source = (f"{name}: {recipe}; 5,000 train points (seed {SEEDS['train']}) and 1,000 test "
              f"points (seed {SEEDS['test']}), centred and scaled per axis by the train's mean "
              "and sd")
    return {split: Dataset(
        name, split, x=torch.from_numpy(np.ascontiguousarray((points - mean) / std, np.float32)),
        labels=None if labels is None else torch.from_numpy(labels.astype(np.int64)),
        factors=None, factor_names=(), image_shape=None, likelihood="gaussian", source=source)
        for split, (points, labels) in drawn.items()}


# --- digits and MNIST -----------------------------------------------------------------------------

def _fixed_split(images: np.ndarray, labels: np.ndarray,
                 n_train: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    order = np.random.default_rng(SPLIT_SEED).permutation(len(images))
    rows = {"train": order[:n_train], "test": order[n_train:]}
    return {split: (images[r], labels[r]) for split, r in rows.items()}


def _image_datasets(name: str, splits: dict[str, tuple[np.ndarray, np.ndarray]],
                    max_value: int, source: str) -> dict[str, Dataset]:
    """Datasets from (N, H, W) images with values in 0..max_value, and their labels."""
    return {split: Dataset(
        name, split,
        x=torch.from_numpy(images.reshape(len(images), -1).astype(np.float32) / max_value),
        labels=torch.from_numpy(labels.astype(np.int64)), factors=None, factor_names=(),
        image_shape=images.shape[1:], likelihood="bernoulli", source=source)
        for split, (images, labels) in splits.items()}


def _build_digits() -> dict[str, Dataset]:
    from sklearn.datasets import load_digits

    digits = load_digits()
    source = ("scikit-learn load_digits (1,797 8x8 images, values 0..16 divided by 16), "
              f"fixed split 1,500 train / 297 test, seed {SPLIT_SEED}")
    splits = _fixed_split(digits.images, digits.target, 1_500)
    return _image_datasets("digits", splits, 16, source)


def _build_mnist() -> dict[str, Dataset]:
    parts = mnist.read_mnist(download=False)  # load() downloads, outside its lock
    if "train" in parts:
        splits = {"train": parts["train"], "test": parts["t10k"]}
        source = "MNIST, the official split: 60,000 train images / 10,000 t10k test images"
    else:
        splits = _fixed_split(*parts["t10k"], n_train=9_000)
        source = ("MNIST t10k (10,000 images; the training files were not available), "
                  f"fixed split 9,000 train / 1,000 test, seed {SPLIT_SEED}")
    return _image_datasets("mnist", splits, 255, source)


# --- sprites: dSprites-like shapes drawn from their factors (explorer.data.sprites) --------------------

_SPRITE_COUNTS = {"train": 18_000, "test": 2_000}


def _build_sprites() -> dict[str, Dataset]:
    source = (f"procedural dSprites-like {SPRITE_SIZE}x{SPRITE_SIZE} shapes "
              f"({', '.join(SPRITE_SHAPES)}), factors uniform and independent; "
              f"18,000 train (seed {SEEDS['train']}) / 2,000 test (seed {SEEDS['test']})")
    datasets = {}
    for split in SPLITS:
        factors = sample_factors(_SPRITE_COUNTS[split], SEEDS[split])
        datasets[split] = Dataset(
            "sprites", split, x=draw_sprites(factors).reshape(len(factors), -1),
            labels=factors[:, 0].long(), factors=factors, factor_names=SPRITE_FACTORS,
            image_shape=(SPRITE_SIZE, SPRITE_SIZE), likelihood="bernoulli", source=source)
    return datasets


# --- constructed: 64 clusters ----------------------------------------------------------------------

CLUSTERS, CLUSTER_VARIANCE, CLUSTER_NOISE = 64, 0.6, 0.05


def _build_clusters() -> dict[str, Dataset]:
    """64 tight clusters at the corners of a simplex in 64-D, centred: x = r·e_k − r/64 + 0.05·noise.

    Every direction's variance is r²/64 · (1 − 1/64) + 0.05² ≈ 0.6, while the total is ≈ 38: the
    structure is all in *which* cluster, none in any single direction. Label = cluster.
    """
    radius = math.sqrt(CLUSTER_VARIANCE * CLUSTERS / (1 - 1 / CLUSTERS))
    splits = {}
    for split in SPLITS:
        rng = np.random.default_rng(SEEDS[split])
        labels = rng.integers(CLUSTERS, size=_TOY_SIZES[split])
        x = radius * (np.eye(CLUSTERS)[labels] - 1 / CLUSTERS) + CLUSTER_NOISE * rng.standard_normal(
            (len(labels), CLUSTERS))
        splits[split] = Dataset(
            "clusters64", split, x=torch.from_numpy(np.ascontiguousarray(x, np.float32)),
            labels=torch.from_numpy(labels.astype(np.int64)), factors=None, factor_names=(), image_shape=None,
            likelihood="gaussian", source=f"{CLUSTERS} clusters at the corners of a simplex, radius {radius:.2f}, "
            f"noise sd {CLUSTER_NOISE}; {_TOY_SIZES[split]:,} points (seed {SEEDS[split]})")
    return splits


_BUILDERS = {"digits": _build_digits, "sprites": _build_sprites, "mnist": _build_mnist, "clusters64": _build_clusters}
