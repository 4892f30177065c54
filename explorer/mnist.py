"""MNIST's idx files: where to find them, how to download and verify them, how to parse them.

`read_mnist()` looks for the gzip-compressed idx files in this order and uses the first folder
that has the two t10k (test) files:

1. the folder named by ``LATENT_LAB_MNIST_DIR``: if that variable is set it is the only place
   looked at, and a folder that lacks a file is an error naming it;
2. the user cache, ``$LATENT_LAB_CACHE/mnist`` or ``~/.cache/latent-lab/mnist``;
3. the developers' offline copy ``<repo root>/../shared/data/mnist``
   (skipped when ``LATENT_LAB_NO_SHARED_FALLBACK=1``);
4. a download into the user cache from ``LATENT_LAB_MNIST_MIRROR`` (default `DEFAULT_MIRROR`),
   bounded in time and shared between sessions: see `explorer.mnist_download`.

A file of the user cache that fails verification is renamed ``<name>.corrupt`` (with a warning in
the log) and the search goes on, so a damaged cache does not hide a good shared copy.

The training files are optional everywhere: without them `explorer.data` splits the 10,000
test images itself.

Every file is checked against the SHA256 of its *uncompressed* idx payload, the digests published
with many MNIST loaders. The payload, not the .gz, is what identifies MNIST: gzip wrappers differ
between copies (the team's shared copy was recompressed, so its .gz digests differ from the
mirrors' although the payloads are byte-identical to the original distribution).
"""

import gzip
import hashlib
import logging
import math
import os
import struct
import zlib
from pathlib import Path

import numpy as np

DIR_ENV = "LATENT_LAB_MNIST_DIR"
CACHE_ENV = "LATENT_LAB_CACHE"
MIRROR_ENV = "LATENT_LAB_MNIST_MIRROR"
NO_SHARED_FALLBACK_ENV = "LATENT_LAB_NO_SHARED_FALLBACK"
DEFAULT_MIRROR = "https://ossci-datasets.s3.amazonaws.com/mnist/"
# The team's offline copy beside the checkout: the one definition, which the benchmarks and tests import.
SHARED_MNIST = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "mnist"

TEST_FILES = ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")
TRAIN_FILES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz")

# file name: (size in bytes, SHA256) of the uncompressed idx payload of the original MNIST.
PAYLOADS = {
    "train-images-idx3-ubyte.gz": (
        47_040_016, "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"),
    "train-labels-idx1-ubyte.gz": (
        60_008, "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"),
    "t10k-images-idx3-ubyte.gz": (
        7_840_016, "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"),
    "t10k-labels-idx1-ubyte.gz": (
        10_008, "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"),
}

_log = logging.getLogger(__name__)


class DatasetUnavailable(RuntimeError):
    """A dataset cannot be read or fetched; the message says what to do about it."""


class NotOnThisMachine(DatasetUnavailable):
    """MNIST would have to be downloaded (raised by `read_mnist(download=False)`)."""


class CorruptFile(DatasetUnavailable):
    """The file at `path` is not the MNIST file its name says."""

    def __init__(self, message: str, path: Path) -> None:
        super().__init__(message)
        self.path = path


def read_mnist(download: bool = True) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Find (or download) MNIST and return {"t10k": (images, labels)}, plus "train" if present.

    Images are (N, 28, 28) uint8, labels (N,) uint8, both verified against `PAYLOADS`. A file of
    the user cache that fails verification is moved aside (``<name>.corrupt``) and one of the
    shared copy is skipped, so the next place in the search order is tried. With
    `download=False`, `NotOnThisMachine` is raised where a download would be needed.
    """
    explicit = _explicit_folder()
    if explicit is not None:
        return _read_folder(explicit)  # the only place looked at: a bad file there is an error
    skipped: list[Path] = []
    while True:  # ends: each pass reads MNIST, or moves a file aside, or skips a folder, or raises
        folder = _first_local_folder(skipped)
        if folder is None:
            if not download:
                raise NotOnThisMachine(f"MNIST's {' and '.join(TEST_FILES)} are in none of "
                                       f"{cache_folder()}, {shared_folder()}")
            return _read_folder(fetch())
        try:
            return _read_folder(folder)
        except CorruptFile as error:
            _set_aside(error, folder, skipped)


def find_folder() -> Path:
    """The first folder in the search order that has the t10k files, downloading if none has."""
    explicit = _explicit_folder()
    if explicit is not None:
        return explicit
    return _first_local_folder([]) or fetch()


def fetch() -> Path:
    """Download MNIST into the user cache and return it: `explorer.mnist_download` says how."""
    # Imported here, not at the top: mnist_download imports this module's names and checks.
    from explorer import mnist_download

    return mnist_download.download(cache_folder())


def cache_folder() -> Path:
    root = os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "latent-lab"
    return Path(root).expanduser() / "mnist"


def shared_folder() -> Path:
    return SHARED_MNIST


def _explicit_folder() -> Path | None:
    """The folder named by DIR_ENV, which must then hold the files, or None if it is not set."""
    explicit = os.environ.get(DIR_ENV)
    if not explicit:
        return None
    folder = Path(explicit).expanduser()
    missing = _missing_files(folder)
    if missing:
        problem = f"lacks {', '.join(missing)}" if folder.is_dir() else "is not a folder"
        raise DatasetUnavailable(
            f"{DIR_ENV}={explicit} {problem}. It must hold "
            f"{' and '.join(TEST_FILES)} (and, optionally, {' and '.join(TRAIN_FILES)}).")
    return folder


def _first_local_folder(skipped: list[Path]) -> Path | None:
    candidates = [cache_folder()]
    if os.environ.get(NO_SHARED_FALLBACK_ENV) != "1":
        candidates.append(shared_folder())
    for folder in candidates:
        if folder not in skipped and all((folder / name).is_file() for name in TEST_FILES):
            return folder
    return None


def _missing_files(folder: Path) -> list[str]:
    missing = [name for name in TEST_FILES if not (folder / name).is_file()]
    train_present = [name for name in TRAIN_FILES if (folder / name).is_file()]
    # One training file without the other is a copy gone wrong, not a choice.
    if len(train_present) == 1:
        missing += [name for name in TRAIN_FILES if name not in train_present]
    return missing


def _set_aside(error: CorruptFile, folder: Path, skipped: list[Path]) -> None:
    """Take a bad file out of the search: rename it if it is in our cache, else skip its folder."""
    if folder == cache_folder():
        aside = error.path.with_name(error.path.name + ".corrupt")
        try:
            os.replace(error.path, aside)
            _log.warning("%s Moved it aside to %s; trying the next place MNIST may be.", error, aside)
            return
        except OSError as rename_error:
            _log.warning("%s It could not be moved aside (%s).", error, rename_error)
    else:
        # Not ours to rename: the shared copy belongs to everyone on the machine.
        _log.warning("%s Skipping %s; trying the next place MNIST may be.", error, folder)
    skipped.append(folder)


def _read_folder(folder: Path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    _log.info("reading MNIST from %s", folder)
    parts = {"t10k": _read_pair(folder, TEST_FILES)}
    if all((folder / name).is_file() for name in TRAIN_FILES):
        parts["train"] = _read_pair(folder, TRAIN_FILES)
    return parts


def _read_pair(folder: Path, names: tuple[str, str]) -> tuple[np.ndarray, np.ndarray]:
    images_name, labels_name = names
    return _read_verified(folder / images_name, 3), _read_verified(folder / labels_name, 1)


def _read_verified(path: Path, ndim: int) -> np.ndarray:
    try:
        payload = decompress(path, path.name)
        array = parse_idx(payload, ndim)
        check_digest(payload, path.name)
    except ValueError as error:
        raise CorruptFile(
            f"{path} cannot be used: {error}. Replace it with the original file "
            f"(or delete it and go online once to download it).", path) from error
    return array


def decompress(path: Path, name: str) -> bytes:
    """The payload of the gzip file at `path`, which should be MNIST's file `name`."""
    size = PAYLOADS[name][0]
    try:
        with gzip.open(path, "rb") as stream:
            # Reading one byte past the expected size tells a longer payload apart.
            return stream.read(size + 1)
    except (OSError, EOFError, zlib.error) as error:
        raise ValueError(f"not a readable gzip file ({error})") from error


def check_digest(payload: bytes, name: str) -> None:
    size, digest = PAYLOADS[name]
    actual = hashlib.sha256(payload).hexdigest()
    if len(payload) != size or actual != digest:
        raise ValueError(
            f"its contents ({len(payload):,} bytes, SHA256 {actual}) are not MNIST's {name} "
            f"({size:,} bytes, SHA256 {digest})")


def parse_idx(payload: bytes, ndim: int) -> np.ndarray:
    """Parse an uncompressed idx file of unsigned bytes with `ndim` dimensions.

    Raises ValueError, saying what is wrong, for a wrong magic number or a payload whose length
    does not match the dimensions in its header (a truncated or padded file).
    """
    header_size = 4 + 4 * ndim
    if len(payload) < header_size:
        raise ValueError(f"{len(payload)} bytes is too short for an idx header")
    magic = int.from_bytes(payload[:4], "big")
    expected_magic = 0x0800 + ndim  # 0x08 is the idx type code of unsigned bytes
    if magic != expected_magic:
        raise ValueError(f"magic number {magic:#010x} is not {expected_magic:#010x} "
                         f"(unsigned bytes in {ndim} dimensions)")
    dims = struct.unpack(f">{ndim}I", payload[4:header_size])
    body_size = len(payload) - header_size
    if body_size != math.prod(dims):
        raise ValueError(
            f"the header promises {' x '.join(map(str, dims))} = {math.prod(dims):,} bytes of "
            f"data but {body_size:,} follow: the file is truncated or padded")
    return np.frombuffer(payload, dtype=np.uint8, offset=header_size).reshape(dims)
