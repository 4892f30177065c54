"""MNIST's idx files: where to find them, how to download and verify them, how to parse them.

`read_mnist()` looks for the gzip-compressed idx files in this order and uses the first folder
that has the two t10k (test) files:

1. the folder named by ``LATENT_LAB_MNIST_DIR``: if that variable is set it is the only place
   looked at, and a folder that lacks a file is an error naming it;
2. the user cache, ``$LATENT_LAB_CACHE/mnist`` or ``~/.cache/latent-lab/mnist``;
3. the developers' offline copy ``<repo root>/../shared/data/mnist``
   (skipped when ``LATENT_LAB_NO_SHARED_FALLBACK=1``);
4. a download into the user cache from ``LATENT_LAB_MNIST_MIRROR`` (default `DEFAULT_MIRROR`),
   bounded in time and shared between sessions: see `explorer.data.mnist_download`.

A file of the user cache that fails verification is renamed ``<name>.corrupt`` (with a warning in
the log) and the search goes on, so a damaged cache does not hide a good shared copy.

The training files are optional everywhere: without them `explorer.data` splits the 10,000
test images itself.

Every file is checked against the SHA256 of its *uncompressed* idx payload, the digests published
with many MNIST loaders. The payload, not the .gz, is what identifies MNIST: gzip wrappers differ
between copies (the team's shared copy was recompressed, so its .gz digests differ from the
mirrors' although the payloads are byte-identical to the original distribution).
"""

import logging
import os
from pathlib import Path

import numpy as np

from explorer.data import mnist_download
from explorer.data.mnist_files import (
    CACHE_ENV,
    DIR_ENV,
    NO_SHARED_FALLBACK_ENV,
    SHARED_MNIST,
    TEST_FILES,
    TRAIN_FILES,
    CorruptFile,
    DatasetUnavailable,
    NotOnThisMachine,
    check_digest,
    decompress,
    parse_idx,
)

_log = logging.getLogger(__name__)


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
    """Download MNIST into the user cache and return it: `explorer.data.mnist_download` says how."""
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


