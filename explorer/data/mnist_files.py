"""MNIST's files as published: their names, the digests of their payloads, how to decompress, verify and parse
them, and the errors of a dataset that cannot be had. `explorer.data.mnist` finds the files and
`explorer.data.mnist_download` fetches them; both build on this module, which imports neither.
"""

import gzip
import hashlib
import math
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
SHARED_MNIST = Path(__file__).resolve().parents[3] / "shared" / "data" / "mnist"

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

class DatasetUnavailable(RuntimeError):
    """A dataset cannot be read or fetched; the message says what to do about it."""


class NotOnThisMachine(DatasetUnavailable):
    """MNIST would have to be downloaded (raised by `read_mnist(download=False)`)."""


class CorruptFile(DatasetUnavailable):
    """The file at `path` is not the MNIST file its name says."""

    def __init__(self, message: str, path: Path) -> None:
        super().__init__(message)
        self.path = path


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
