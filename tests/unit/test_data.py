"""Tests of explorer.data and explorer.data.mnist.

Every dataset: shapes, dtypes, values, splits and determinism. Sprites: the pictures match their
factors. MNIST: the search order, the download from a local mirror, checksums and idx parsing.
No test touches the internet or the real user cache.
"""

import contextlib
import functools
import gzip
import hashlib
import http.server
import math
import shutil
import socket
import struct
import threading
from pathlib import Path

import numpy as np
import pytest
import torch
from sklearn.neighbors import KNeighborsClassifier

from explorer import data
from explorer.data import mnist, mnist_files
from explorer.data.mnist import SHARED_MNIST

MNIST_LABEL_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
# The original distribution's MD5s of the uncompressed t10k files.
T10K_MD5 = {"t10k-images-idx3-ubyte.gz": "2646ac647ad5339dbf082846283269ea",
            "t10k-labels-idx1-ubyte.gz": "27ae3e4e09519cfbb04c329615203637"}
SIZES = {**dict.fromkeys(data.TOY2D, (5_000, 1_000)), "digits": (1_500, 297),
         "sprites": (18_000, 2_000), "mnist": (9_000, 1_000), "clusters64": (5_000, 1_000)}
CLASSES = {"moons": 2, "circles": 2, "pinwheel": 5, "8gaussians": 8, "swissroll": None,
           "checkerboard": 8, "digits": 10, "sprites": 3, "mnist": 10, "clusters64": 64}


def closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


@pytest.fixture(autouse=True)
def isolated(monkeypatch, tmp_path):
    """An empty memo, a private cache and an unreachable mirror, for every test."""
    data.load.cache_clear()
    for variable in (mnist.DIR_ENV, mnist.NO_SHARED_FALLBACK_ENV):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv(mnist.CACHE_ENV, str(tmp_path / "cache"))
    monkeypatch.setenv(mnist_files.MIRROR_ENV, closed_port_url())
    # urllib would send even 127.0.0.1 through a configured proxy.
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    yield
    data.load.cache_clear()


@pytest.fixture
def shared_mnist(monkeypatch) -> Path:
    """Point LATENT_LAB_MNIST_DIR at the team's offline copy of the MNIST test split."""
    if not all((SHARED_MNIST / name).is_file() for name in mnist.TEST_FILES):
        pytest.skip(f"the offline MNIST test split is not at {SHARED_MNIST}")
    monkeypatch.setenv(mnist.DIR_ENV, str(SHARED_MNIST))
    return SHARED_MNIST


def load_both(name: str, request) -> tuple[data.Dataset, data.Dataset]:
    if name == "mnist":
        request.getfixturevalue("shared_mnist")
    return data.load(name, "train"), data.load(name, "test")


def sorted_row_digests(x: torch.Tensor) -> list[bytes]:
    return sorted(hashlib.sha1(row.tobytes()).digest() for row in x.numpy())


# --- every dataset ------------------------------------------------------------------------------

def test_names_are_the_toy_sets_then_the_image_sets_then_the_constructed():
    assert data.names() == data.TOY2D + data.IMAGE_SETS + data.CONSTRUCTED
    assert len(set(data.names())) == 10


@pytest.mark.parametrize("name", data.names())
def test_each_split_has_the_promised_form(name, request):
    for dataset, size in zip(load_both(name, request), SIZES[name], strict=True):
        assert (dataset.name, len(dataset), dataset.x.shape[0]) == (name, size, size)
        assert dataset.x.dtype == torch.float32 and dataset.x.is_contiguous()
        assert torch.isfinite(dataset.x).all()
        assert dataset.source and "\n" not in dataset.source
        if dataset.is_image:
            assert dataset.likelihood == "bernoulli"
            assert dataset.x_dim == math.prod(dataset.image_shape)
            assert dataset.x.min() >= 0 and dataset.x.max() <= 1
            assert dataset.images().shape == (size, *dataset.image_shape)
            assert dataset.images().data_ptr() == dataset.x.data_ptr()
        else:
            dim = data.CLUSTERS if name in data.CONSTRUCTED else 2
            assert (dataset.likelihood, dataset.image_shape, dataset.x_dim) == ("gaussian", None, dim)
            with pytest.raises(ValueError, match="not images"):
                dataset.images()


@pytest.mark.parametrize("name", data.names())
def test_labels_and_factors(name, request):
    for dataset in load_both(name, request):
        if CLASSES[name] is None:
            assert dataset.labels is None
        else:
            assert dataset.labels.dtype == torch.int64 and dataset.labels.shape == (len(dataset),)
            assert set(dataset.labels.tolist()) == set(range(CLASSES[name]))
        if name == "sprites":
            assert dataset.factor_names == ("shape", "scale", "rotation", "x", "y")
            assert dataset.factors.shape == (len(dataset), 5)
            assert dataset.factors.dtype == torch.float32
            assert torch.equal(dataset.labels, dataset.factors[:, 0].long())
        else:
            assert dataset.factors is None and dataset.factor_names == ()


@pytest.mark.parametrize("name", data.names())
def test_load_is_memoized_and_a_fresh_generation_is_identical(name, request):
    first = load_both(name, request)
    assert data.load(name, "train") is first[0] and data.load(name) is first[0]
    data.load.cache_clear()
    for old, new in zip(first, load_both(name, request), strict=True):
        assert new is not old
        assert torch.equal(new.x, old.x)
        for a, b in ((old.labels, new.labels), (old.factors, new.factors)):
            assert (a is None and b is None) or torch.equal(a, b)
        assert new.source == old.source


@pytest.mark.parametrize("name", data.names())
def test_train_and_test_share_no_example(name, request):
    train, test = load_both(name, request)
    assert not set(sorted_row_digests(train.x)) & set(sorted_row_digests(test.x))


def test_digits_splits_are_a_partition_of_sklearn_digits():
    from sklearn.datasets import load_digits

    everything = torch.cat([data.load("digits").x, data.load("digits", "test").x])
    original = torch.from_numpy(load_digits().data.astype(np.float32) / 16)
    assert sorted_row_digests(everything) == sorted_row_digests(original)
    assert data.load("digits").image_shape == (8, 8)


@pytest.mark.parametrize("name", data.TOY2D)
def test_toy_sets_are_standardised_by_the_train_split(name):
    train, test = data.load(name), data.load(name, "test")
    assert torch.allclose(train.x.mean(0), torch.zeros(2), atol=1e-4)
    assert torch.allclose(train.x.std(0), torch.ones(2), atol=1e-3)
    # The test split is another sample of the same distribution in the same coordinates.
    assert torch.allclose(test.x.mean(0), torch.zeros(2), atol=0.1)
    assert torch.allclose(test.x.std(0), torch.ones(2), atol=0.1)


@pytest.mark.parametrize("name", [name for name in data.TOY2D if CLASSES[name]])
def test_toy_labels_are_predictable_from_position(name):
    train, test = data.load(name), data.load(name, "test")
    classifier = KNeighborsClassifier(15).fit(train.x.numpy(), train.labels.numpy())
    assert classifier.score(test.x.numpy(), test.labels.numpy()) > 0.97


def test_circles_label_one_is_the_inner_circle():
    circles = data.load("circles")
    radius = circles.x.norm(dim=1)
    assert radius[circles.labels == 1].max() < radius[circles.labels == 0].min()


def test_a_bad_name_is_named_with_the_choices():
    with pytest.raises(ValueError, match="unknown dataset 'cifar10'; choose one of") as raised:
        data.load("cifar10")
    assert all(name in str(raised.value) for name in data.names())


def test_a_bad_split_is_named_with_the_choices():
    with pytest.raises(ValueError, match="unknown split 'validation'; choose one of: train, test"):
        data.load("moons", "validation")


def test_concurrent_first_loads_share_one_object():
    results = []
    threads = [threading.Thread(target=lambda: results.append(data.load("sprites")))
               for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 4 and all(result is results[0] for result in results)


def test_dataset_rejects_inconsistent_parts():
    with pytest.raises(ValueError, match="float32"):
        data.Dataset("bad", "train", torch.zeros(3, 2, dtype=torch.float64), None, None, (),
                     None, "gaussian", "test")
    with pytest.raises(ValueError, match="labels"):
        data.Dataset("bad", "train", torch.zeros(3, 2), torch.zeros(2, dtype=torch.int64), None,
                     (), None, "gaussian", "test")
    with pytest.raises(ValueError, match="factors"):
        data.Dataset("bad", "train", torch.zeros(3, 2), None, torch.zeros(3, 1, dtype=torch.float64),
                     ("a",), None, "gaussian", "test")
    with pytest.raises(ValueError, match="factors"):
        data.Dataset("bad", "train", torch.zeros(3, 2), None, None, ("a",), None, "gaussian", "t")
    with pytest.raises(ValueError, match="image_shape"):
        data.Dataset("bad", "train", torch.zeros(3, 4), None, None, (), (3, 3), "bernoulli", "t")


# --- sprites ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def sprite_splits() -> tuple[data.Dataset, data.Dataset]:
    """Generated once for this module's sprite tests; the memo is cleared between tests."""
    return data.load("sprites"), data.load("sprites", "test")


@pytest.fixture
def sprites(sprite_splits) -> data.Dataset:
    return sprite_splits[0]


def test_sprite_factors_lie_in_their_ranges(sprites):
    shape, scale, rotation, x, y = sprites.factors.T
    assert set(shape.tolist()) == {0.0, 1.0, 2.0}
    assert scale.min() >= 0.5 and scale.max() <= 1.0
    assert rotation.min() >= 0 and rotation.max() <= 2 * math.pi
    low, high = data.POSITION_RANGE
    assert min(x.min(), y.min()) >= low and max(x.max(), y.max()) <= high
    # Spread over the ranges, not bunched: the factors are drawn uniformly.
    assert scale.max() - scale.min() > 0.49 and x.max() - x.min() > 0.95 * (high - low)


def test_sprite_centre_of_mass_is_at_x_y(sprites):
    images = sprites.images()
    centres = (torch.arange(28) + 0.5) / 28
    ink = images.sum((1, 2))
    x = (images.sum(1) * centres).sum(1) / ink
    y = (images.sum(2) * centres).sum(1) / ink
    error_in_pixels = torch.hypot(x - sprites.factors[:, 3], y - sprites.factors[:, 4]) * 28
    assert error_in_pixels.max() < 0.25


def test_sprite_ink_grows_as_the_square_of_scale(sprites):
    ink = sprites.images().sum((1, 2))
    for shape in range(3):
        chosen = sprites.labels == shape
        per_area = ink[chosen] / sprites.factors[chosen, 1] ** 2
        assert per_area.std() / per_area.mean() < 0.03
        assert np.corrcoef(ink[chosen], sprites.factors[chosen, 1])[0, 1] > 0.99


def test_sprite_ellipses_point_along_their_rotation(sprites):
    chosen = sprites.labels == 1
    images, factors = sprites.images()[chosen], sprites.factors[chosen]
    centres = (torch.arange(28) + 0.5) / 28
    right = centres.view(1, 1, -1) - factors[:, 3].view(-1, 1, 1)
    up = factors[:, 4].view(-1, 1, 1) - centres.view(1, -1, 1)
    weights = images / images.sum((1, 2), keepdim=True)
    moment = {name: (weights * a * b).sum((1, 2))
              for name, (a, b) in {"xx": (right, right), "yy": (up, up), "xy": (right, up)}.items()}
    major_axis = 0.5 * torch.atan2(2 * moment["xy"], moment["xx"] - moment["yy"])
    # An ellipse looks the same turned by pi: compare angles modulo pi.
    error = torch.remainder(major_axis - factors[:, 2] + math.pi / 2, math.pi) - math.pi / 2
    assert error.abs().max() < math.radians(5)


def test_sprite_shapes_are_recognisable(sprite_splits):
    sprites, test = sprite_splits
    classifier = KNeighborsClassifier(1).fit(sprites.x.numpy(), sprites.labels.numpy())
    assert classifier.score(test.x[:500].numpy(), test.labels[:500].numpy()) > 0.85


def test_sprites_stay_inside_the_image_at_the_extremes(sprite_splits):
    low, high = data.POSITION_RANGE
    poses = torch.tensor([[shape, 1.0, rotation, x, y]
                          for shape in range(3) for rotation in np.linspace(0, 2 * math.pi, 24)
                          for x in (low, 0.5, high) for y in (low, 0.5, high)])
    images = data.draw_sprites(poses)
    border = torch.cat([images[:, 0], images[:, -1], images[:, :, 0], images[:, :, -1]], dim=1)
    assert border.max() == 0
    # Nothing is clipped: each pose has as much ink at the edge as in the middle.
    centred = data.draw_sprites(torch.cat([poses[:, :3], torch.full((len(poses), 2), 0.5)], 1))
    assert torch.allclose(images.sum((1, 2)), centred.sum((1, 2)), rtol=0.01)
    for split in sprite_splits:
        stored = split.images()
        assert stored[:, [0, -1]].max() == 0 and stored[:, :, [0, -1]].max() == 0


# --- MNIST: folders -----------------------------------------------------------------------------

def test_mnist_from_the_shared_folder_is_a_fixed_split_of_t10k(shared_mnist):
    train, test = data.load("mnist"), data.load("mnist", "test")
    assert (len(train), len(test), train.image_shape) == (9_000, 1_000, (28, 28))
    counts = torch.bincount(torch.cat([train.labels, test.labels]), minlength=10)
    assert counts.tolist() == MNIST_LABEL_COUNTS
    assert "9,000 train / 1,000 test" in train.source and "t10k" in train.source
    assert torch.equal(train.x * 255, (train.x * 255).round())


def test_shared_copy_is_the_published_t10k(shared_mnist):
    for name, md5 in T10K_MD5.items():
        payload = gzip.decompress((shared_mnist / name).read_bytes())
        assert hashlib.md5(payload, usedforsecurity=False).hexdigest() == md5


@pytest.mark.parametrize(("present", "missing"), [
    ((), mnist.TEST_FILES),
    (("t10k-images-idx3-ubyte.gz",), ("t10k-labels-idx1-ubyte.gz",)),
    ((*mnist.TEST_FILES, "train-images-idx3-ubyte.gz"), ("train-labels-idx1-ubyte.gz",)),
])
def test_an_incomplete_mnist_dir_names_what_is_missing(present, missing, tmp_path, monkeypatch):
    for name in present:
        (tmp_path / name).write_bytes(b"")
    monkeypatch.setenv(mnist.DIR_ENV, str(tmp_path))
    with pytest.raises(data.DatasetUnavailable, match=f"{mnist.DIR_ENV}=.* lacks") as raised:
        data.load("mnist")
    assert all(name in str(raised.value).split(". It must")[0] for name in missing)


def test_a_missing_mnist_dir_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv(mnist.DIR_ENV, str(tmp_path / "nowhere"))
    with pytest.raises(data.DatasetUnavailable, match="nowhere is not a folder. It must hold"):
        data.load("mnist")


def test_search_order_env_folder_then_cache_then_shared_copy(shared_mnist, monkeypatch):
    assert mnist.find_folder() == shared_mnist  # LATENT_LAB_MNIST_DIR, when set, wins
    monkeypatch.delenv(mnist.DIR_ENV)
    assert mnist.find_folder() == mnist.shared_folder() == SHARED_MNIST
    mnist.cache_folder().mkdir(parents=True)
    for name in mnist.TEST_FILES:
        shutil.copy(shared_mnist / name, mnist.cache_folder() / name)
    assert mnist.find_folder() == mnist.cache_folder()


def test_mnist_dir_with_training_files_gives_the_official_split(shared_mnist, tmp_path,
                                                                monkeypatch):
    rng = np.random.default_rng(0)
    images, labels = rng.integers(0, 256, (50, 28, 28), np.uint8), rng.integers(0, 10, 50, np.uint8)
    for name, payload in (("train-images-idx3-ubyte.gz", idx_bytes(images)),
                          ("train-labels-idx1-ubyte.gz", idx_bytes(labels))):
        (tmp_path / name).write_bytes(gzip.compress(payload))
        # Stand-ins for the 60,000 images, which these machines lack.
        digest = hashlib.sha256(payload).hexdigest()
        monkeypatch.setitem(mnist_files.PAYLOADS, name, (len(payload), digest))
    for name in mnist.TEST_FILES:
        shutil.copy(shared_mnist / name, tmp_path / name)
    monkeypatch.setenv(mnist.DIR_ENV, str(tmp_path))
    train, test = data.load("mnist"), data.load("mnist", "test")
    assert (len(train), len(test)) == (50, 10_000) and "official split" in train.source
    assert torch.allclose(train.images(), torch.from_numpy(images) / 255)
    assert torch.equal(train.labels, torch.from_numpy(labels.astype(np.int64)))


def test_a_local_file_that_is_not_mnist_is_rejected(shared_mnist, tmp_path, monkeypatch):
    for name in mnist.TEST_FILES:
        shutil.copy(shared_mnist / name, tmp_path / name)
    labels_file = tmp_path / "t10k-labels-idx1-ubyte.gz"
    payload = bytearray(gzip.decompress(labels_file.read_bytes()))
    payload[100] = (payload[100] + 1) % 10  # one wrong label: a well-formed file, but not MNIST
    labels_file.write_bytes(gzip.compress(bytes(payload), compresslevel=1))
    monkeypatch.setenv(mnist.DIR_ENV, str(tmp_path))
    with pytest.raises(data.DatasetUnavailable, match="SHA256.*not MNIST|not MNIST.*SHA256"):
        data.load("mnist")


# --- MNIST: idx parsing -------------------------------------------------------------------------

def idx_bytes(array: np.ndarray) -> bytes:
    return struct.pack(f">I{array.ndim}I", 0x0800 + array.ndim, *array.shape) + array.tobytes()


def test_parse_idx_reads_dimensions_and_bytes():
    array = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    assert np.array_equal(mnist.parse_idx(idx_bytes(array), 3), array)


CUBE = idx_bytes(np.zeros((2, 3, 4), np.uint8))


@pytest.mark.parametrize(("payload", "ndim", "message"), [
    (CUBE, 1, "magic number 0x00000803 is not 0x00000801"),
    (b"\x12\x34" + CUBE[2:], 3, "magic number 0x12340803 is not 0x00000803"),
    (CUBE[:-5], 3, "promises 2 x 3 x 4 = 24 bytes of data but 19 follow: the file is truncated"),
    (CUBE + b"\0", 3, "truncated or padded"),
    (CUBE[:7], 3, "too short"),
])
def test_parse_idx_rejects_malformed_files(payload, ndim, message):
    with pytest.raises(ValueError, match=message):
        mnist.parse_idx(payload, ndim)


def test_a_truncated_idx_file_in_the_mnist_dir_is_a_clear_error(tmp_path, monkeypatch):
    images = idx_bytes(np.zeros((10_000, 28, 28), np.uint8))[:-784]
    (tmp_path / "t10k-images-idx3-ubyte.gz").write_bytes(gzip.compress(images, compresslevel=1))
    (tmp_path / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(b"not an idx file"))
    monkeypatch.setenv(mnist.DIR_ENV, str(tmp_path))
    with pytest.raises(data.DatasetUnavailable, match="t10k-images.*truncated"):
        data.load("mnist")


# --- MNIST: download ----------------------------------------------------------------------------

class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@contextlib.contextmanager
def serving(folder: Path, handler_class: type[QuietHandler] = QuietHandler):
    """Serve `folder` on a free port of the loopback interface only; yield its base URL."""
    handler = functools.partial(handler_class, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def no_local_mnist(monkeypatch) -> None:
    """No folder and no shared copy: MNIST can only come from the mirror."""
    monkeypatch.delenv(mnist.DIR_ENV, raising=False)
    monkeypatch.setenv(mnist.NO_SHARED_FALLBACK_ENV, "1")


@pytest.fixture
def mirror_folder(shared_mnist, tmp_path, no_local_mnist) -> Path:
    """A copy of the shared folder, to be served as a mirror."""
    folder = tmp_path / "mirror"
    shutil.copytree(shared_mnist, folder)
    return folder


def cache_contents() -> list[str]:
    folder = mnist.cache_folder()
    return sorted(path.name for path in folder.iterdir()) if folder.exists() else []


def test_download_from_a_mirror_fills_the_cache(mirror_folder, monkeypatch):
    monkeypatch.setenv(mnist.DIR_ENV, str(SHARED_MNIST))
    direct = data.load("mnist"), data.load("mnist", "test")
    data.load.cache_clear()
    monkeypatch.delenv(mnist.DIR_ENV)
    with serving(mirror_folder) as url:
        monkeypatch.setenv(mnist_files.MIRROR_ENV, url)
        downloaded = data.load("mnist"), data.load("mnist", "test")
    for a, b in zip(direct, downloaded, strict=True):
        assert torch.equal(a.x, b.x) and torch.equal(a.labels, b.labels) and a.source == b.source
    # The mirror lacked the training files: only verified t10k files, no leftovers.
    assert cache_contents() == sorted(mnist.TEST_FILES)
    data.load.cache_clear()  # the mirror is gone now: the cache must suffice
    assert torch.equal(data.load("mnist").x, direct[0].x)


def flip_a_pixel(path: Path) -> None:
    payload = bytearray(gzip.decompress(path.read_bytes()))
    payload[5_000] ^= 0xFF
    path.write_bytes(gzip.compress(bytes(payload), compresslevel=1))


def flip_compressed_bytes(path: Path) -> None:
    compressed = bytearray(path.read_bytes())
    compressed[1_000:1_010] = bytes(b ^ 0xFF for b in compressed[1_000:1_010])
    path.write_bytes(bytes(compressed))


def serve_t10k_as_train(path: Path) -> None:
    shutil.copy(path.with_name("t10k-images-idx3-ubyte.gz"), path)
    shutil.copy(path.with_name("t10k-labels-idx1-ubyte.gz"),
                path.with_name("train-labels-idx1-ubyte.gz"))


@pytest.mark.parametrize(("name", "corrupt"), [
    ("t10k-images-idx3-ubyte.gz", flip_a_pixel),  # a well-formed file: only the checksum tells
    ("t10k-labels-idx1-ubyte.gz", flip_compressed_bytes),
    ("train-images-idx3-ubyte.gz", serve_t10k_as_train),
])
def test_a_corrupt_download_is_rejected_and_not_kept(name, corrupt, mirror_folder, monkeypatch):
    corrupt(mirror_folder / name)
    with serving(mirror_folder) as url, \
            pytest.raises(data.DatasetUnavailable, match="failed verification and was deleted"):
        monkeypatch.setenv(mnist_files.MIRROR_ENV, url)
        data.load("mnist")
    assert name not in cache_contents()
    assert not [entry for entry in cache_contents() if entry.endswith(".part")]


def test_an_unreachable_mirror_names_the_remedies(no_local_mnist):
    with pytest.raises(data.DatasetUnavailable) as raised:
        data.load("mnist")
    message = str(raised.value)
    assert mnist.DIR_ENV in message and "go online" in message
    assert "t10k-images-idx3-ubyte.gz" in message
    assert not [entry for entry in cache_contents() if entry.endswith(".gz")]
