"""Downloading MNIST into the user cache without letting a slow or broken mirror hold anyone up.

`download(folder)` fetches the idx files from ``LATENT_LAB_MNIST_MIRROR`` (see `explorer.data.mnist`):

- **A deadline for the whole download**, `DEADLINE_S` seconds of wall clock across every read of
  every file (``LATENT_LAB_MNIST_DEADLINE_S`` overrides it). A socket timeout alone bounds one
  read, so a mirror that drips a byte a second would never end; the stream checks the deadline
  after every read, and the caller stops waiting at the deadline whatever the socket does.
- **One download at a time** per mirror and folder. It runs in a thread of its own; the caller
  that started it waits for it (at most the deadline), any other caller waits at most
  `IN_FLIGHT_WAIT_S` and then gets `DatasetUnavailable` saying a download is under way, so a
  slow mirror holds up one session, not all of them. No lock is held while bytes flow.
- **Failures are remembered** for `FAILURE_MEMORY_S` seconds of `clock` (tests replace it):
  calls in that time fail at once with the remembered reason instead of trying again.
- **Leftovers of a killed download** (``.<name>.*.part``) older than the deadline, which no live
  download can still be writing, are deleted when the next download starts.
"""

import http.client
import logging
import os
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from explorer.data.mnist_files import (
    DEFAULT_MIRROR,
    DIR_ENV,
    MIRROR_ENV,
    PAYLOADS,
    TEST_FILES,
    TRAIN_FILES,
    DatasetUnavailable,
    check_digest,
    decompress,
)

DEADLINE_ENV = "LATENT_LAB_MNIST_DEADLINE_S"
DEADLINE_S = 120.0  # the four files are 11.6 MB: about 100 kB/s suffices
IN_FLIGHT_WAIT_S = 2.0  # long enough to share a download that is about to finish
FAILURE_MEMORY_S = 300.0
CHUNK_BYTES = 1 << 20
clock = time.monotonic  # for the failure memory only: tests move it on instead of sleeping

_log = logging.getLogger(__name__)


@dataclass
class _Download:
    """One download in flight; `done` is set once `error` holds its outcome (None: success)."""

    started: float  # time.monotonic()
    done: threading.Event = field(default_factory=threading.Event)
    error: str | None = None


class _Deadline:
    """A point in wall-clock time after which a download gives up."""

    def __init__(self, seconds: float) -> None:
        self.seconds, self.at = seconds, time.monotonic() + seconds

    def remaining(self) -> float:
        """Seconds left; raises TimeoutError (an OSError, as network failures are) when none are."""
        left = self.at - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"it took longer than the {self.seconds:g} s allowed (set {DEADLINE_ENV} "
                               "to allow more)")
        return left


_in_flight: dict[tuple[str, Path], _Download] = {}
_failures: dict[tuple[str, Path], tuple[float, str]] = {}  # key: (clock() of the failure, reason)
_guard = threading.Lock()  # guards the two dicts above; never held while downloading


def mirror() -> str:
    return (os.environ.get(MIRROR_ENV) or DEFAULT_MIRROR).rstrip("/") + "/"


def deadline_s() -> float:
    """`DEADLINE_S`, or the number of seconds in ``LATENT_LAB_MNIST_DEADLINE_S``."""
    text = os.environ.get(DEADLINE_ENV)
    if not text:
        return DEADLINE_S
    try:
        seconds = float(text)
    except ValueError:
        seconds = 0.0
    if not seconds > 0:
        _log.warning("%s=%r is not a positive number of seconds; using %g", DEADLINE_ENV, text, DEADLINE_S)
        return DEADLINE_S
    return seconds


def forget_failures() -> None:
    """Forget every remembered failure, so the next call tries its mirror again."""
    with _guard:
        _failures.clear()


def download(folder: Path) -> Path:
    """Download MNIST's files into `folder` and return it; see the module docstring for the limits.

    Raises `DatasetUnavailable` when the test pair could not be fetched (now or in the last
    `FAILURE_MEMORY_S`), or when another caller's download is still under way.
    """
    key, seconds = (mirror(), folder), deadline_s()
    with _guard:
        _raise_if_failed_recently(key)
        job = _in_flight.get(key)
        started_here = job is None
        if started_here:
            job = _in_flight[key] = _Download(time.monotonic())
            threading.Thread(target=_run, args=(key, job, _Deadline(seconds)), daemon=True,
                             name="mnist-download").start()
    # A second of grace lets the thread report its own, more precise, reason at the deadline.
    if not job.done.wait(seconds + 1 if started_here else IN_FLIGHT_WAIT_S):
        running = time.monotonic() - job.started
        if started_here:
            raise DatasetUnavailable(_unavailable(key[0], folder, f"it did not finish within {seconds:g} s"))
        raise DatasetUnavailable(
            f"MNIST is being downloaded from {key[0]} by another session ({running:.0f} s so far, at most "
            f"{seconds:g} s). Try again in a moment, or set {DIR_ENV} to a folder holding the idx .gz files.")
    if job.error is not None:
        raise DatasetUnavailable(job.error)
    return folder


def _raise_if_failed_recently(key: tuple[str, Path]) -> None:
    if key not in _failures:
        return
    failed_at, reason = _failures[key]
    age = clock() - failed_at
    if age >= FAILURE_MEMORY_S:
        del _failures[key]
        return
    raise DatasetUnavailable(f"{reason} [This failure is {age:.0f} s old; the mirror is tried again "
                             f"{FAILURE_MEMORY_S - age:.0f} s from now.]")


def _run(key: tuple[str, Path], job: _Download, deadline: _Deadline) -> None:
    """The download thread's body: fetch, then record the outcome for every waiting caller."""
    base, folder = key
    try:
        _fetch_all(base, folder, deadline)
    except DatasetUnavailable as error:
        job.error = str(error)
    except Exception as error:  # a thread that dies silently would leave its callers guessing
        _log.exception("the MNIST download from %s failed unexpectedly", base)
        job.error = _unavailable(base, folder, repr(error))
    with _guard:
        if job.error is not None:
            _failures[key] = (clock(), job.error)
        del _in_flight[key]
    job.done.set()


def _fetch_all(base: str, folder: Path, deadline: _Deadline) -> None:
    """Download the four files into `folder`; the training pair may fail, the test pair not."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        _remove_stale_parts(folder, deadline.seconds)
        for name in TEST_FILES:
            _fetch(base + name, folder / name, deadline)
    except (OSError, http.client.HTTPException) as error:
        raise DatasetUnavailable(_unavailable(base, folder, str(error))) from error
    try:
        for name in TRAIN_FILES:
            _fetch(base + name, folder / name, deadline)
    except (OSError, http.client.HTTPException) as error:
        _log.warning("MNIST's training files could not be downloaded from %s (%s); "
                     "using a fixed split of the 10,000 test images instead", base, error)
        for name in TRAIN_FILES:
            (folder / name).unlink(missing_ok=True)


def _unavailable(base: str, folder: Path, reason: str) -> str:
    return (f"MNIST is not on this machine and could not be downloaded from {base} ({reason}). "
            f"Set {DIR_ENV} to a folder holding the idx .gz files ({', '.join(TEST_FILES)}, "
            f"optionally {', '.join(TRAIN_FILES)}), or go online once so they can be "
            f"downloaded into {folder}.")


def _remove_stale_parts(folder: Path, deadline_seconds: float) -> None:
    # File times are wall-clock times, so their age is measured with time.time(), not a monotonic clock.
    now = time.time()
    for part in folder.glob(".*.part"):
        try:
            if now - part.stat().st_mtime > deadline_seconds:
                part.unlink()
                _log.info("deleted %s, left by a download that did not finish", part)
        except FileNotFoundError:
            pass  # another process cleaned it first


def _fetch(url: str, destination: Path, deadline: _Deadline) -> None:
    """Download to a temporary file, verify it, then rename it into place atomically."""
    handle, temp_name = tempfile.mkstemp(dir=destination.parent, prefix=f".{destination.name}.", suffix=".part")
    temp = Path(temp_name)
    try:
        # A genuine .gz is smaller than its payload; the cap stops a hostile mirror filling a disk.
        limit = PAYLOADS[destination.name][0] + 65_536
        with os.fdopen(handle, "wb") as target:
            _stream(url, target, limit, deadline)
        try:
            check_digest(decompress(temp, destination.name), destination.name)
        except ValueError as error:
            raise DatasetUnavailable(
                f"the download of {url} failed verification and was deleted: {error}. "
                f"Try again, point {MIRROR_ENV} at another mirror, or set {DIR_ENV} to a folder "
                "holding verified idx .gz files.") from error
        os.replace(temp, destination)
    finally:
        temp.unlink(missing_ok=True)


def _stream(url: str, target: BinaryIO, limit: int, deadline: _Deadline) -> None:
    """Copy the body at `url` into `target`, failing past `limit` bytes or past the deadline."""
    with urllib.request.urlopen(url, timeout=deadline.remaining()) as response:
        # read1 returns what one socket read brought, so a mirror that drips bytes still reaches
        # the deadline check; read(n) would wait for all n bytes.
        while chunk := response.read1(CHUNK_BYTES):
            if target.tell() + len(chunk) > limit:
                raise DatasetUnavailable(f"{url} sent more than {limit:,} bytes: not MNIST")
            target.write(chunk)
            deadline.remaining()
