"""Slow, broken and half-finished MNIST downloads (issue 19, item 7), against mirrors on 127.0.0.1.

A mirror that drips bytes ends at the download's deadline; a download in flight holds up no other
session's load; a failed mirror is not asked again for a while; a `.part` file of a killed download
is removed; a corrupt file of the cache is moved aside so the shared copy is used. Timing bounds
are generous (seconds for a deadline of one): the tests tell "ends" from "never ends".
"""

import logging
import os
import shutil
import threading
import time

import pytest

# Same folder: pytest puts tests/unit on sys.path. Its fixtures are reused by name (usefixtures),
# `isolated` (autouse) included: an empty memo, a private cache and a closed-port mirror per test.
from test_data import SHARED_MNIST, QuietHandler, flip_a_pixel, isolated, no_local_mnist, serving, shared_mnist  # noqa: F401

from explorer import data
from explorer.data import mnist, mnist_download, mnist_files
from explorer.training.jobs import wait_until

SLOW_BYTE_S = 0.2  # the dripping mirror sends one byte this often


@pytest.fixture(autouse=True)
def no_remembered_failures():
    mnist_download.forget_failures()
    yield
    mnist_download.forget_failures()


class LoadInThread(threading.Thread):
    """`data.load("mnist")` in a thread of its own, so a load that never ends cannot hang the test."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.error: Exception | None = None

    def run(self) -> None:
        try:
            data.load("mnist")
        except data.DatasetUnavailable as error:
            self.error = error


def dripping(stop: threading.Event, requests: list[str]) -> type[QuietHandler]:
    """A mirror that promises 10 MB and sends a byte every SLOW_BYTE_S until `stop` is set."""

    class Dripping(QuietHandler):
        def do_GET(self) -> None:
            requests.append(self.path)
            self.send_response(200)
            self.send_header("Content-Length", str(10_000_000))
            self.end_headers()
            try:
                while not stop.wait(SLOW_BYTE_S):
                    self.wfile.write(b"\x1f")
                    self.wfile.flush()
            except OSError:
                pass  # the client hung up: that is what a deadline does

    return Dripping


def not_found(requests: list[str]) -> type[QuietHandler]:
    """A mirror that answers 404 to everything and counts the requests."""

    class NotFound(QuietHandler):
        def do_GET(self) -> None:
            requests.append(self.path)
            self.send_error(404)

    return NotFound


@pytest.mark.usefixtures("no_local_mnist")
def test_a_mirror_that_drips_bytes_ends_at_the_deadline(tmp_path, monkeypatch):
    monkeypatch.setenv(mnist_download.DEADLINE_ENV, "1")
    stop, requests = threading.Event(), []
    with serving(tmp_path, dripping(stop, requests)) as url:
        monkeypatch.setenv(mnist_files.MIRROR_ENV, url)
        load = LoadInThread()
        load.start()
        load.join(timeout=5)
        ended = not load.is_alive()
        stop.set()  # ends the drip, which a per-read timeout alone would follow for ever
        load.join(timeout=5)
    assert ended, "the download was still running 5 s after its deadline of 1 s"
    assert requests and "took longer than the 1 s allowed" in str(load.error)


@pytest.mark.usefixtures("no_local_mnist")
def test_a_download_in_flight_does_not_hold_up_another_load(tmp_path, monkeypatch):
    monkeypatch.setattr(mnist_download, "IN_FLIGHT_WAIT_S", 0.1)
    stop, requests = threading.Event(), []
    with serving(tmp_path, dripping(stop, requests)) as url:
        monkeypatch.setenv(mnist_files.MIRROR_ENV, url)
        first, second = LoadInThread(), LoadInThread()
        first.start()
        assert wait_until(lambda: requests, timeout=5), "the first load never asked the mirror"
        second.start()
        second.join(timeout=5)
        second_ended, first_still_downloading = not second.is_alive(), first.is_alive()
        stop.set()
        first.join(timeout=5)
        second.join(timeout=5)
    assert second_ended and first_still_downloading, "the second load waited for the first's download"
    assert "being downloaded" in str(second.error) and len(requests) == 1


@pytest.mark.usefixtures("no_local_mnist")
def test_a_failed_mirror_is_remembered_for_a_while(tmp_path, monkeypatch):
    now = [1_000.0]
    monkeypatch.setattr(mnist_download, "clock", lambda: now[0])
    requests = []
    with serving(tmp_path, not_found(requests)) as url:
        monkeypatch.setenv(mnist_files.MIRROR_ENV, url)
        for _ in range(2):
            with pytest.raises(data.DatasetUnavailable, match="404"):
                data.load("mnist")
        assert len(requests) == 1, "the second load asked the mirror that had just failed"
        now[0] += mnist_download.FAILURE_MEMORY_S
        with pytest.raises(data.DatasetUnavailable, match="404"):
            data.load("mnist")
        assert len(requests) == 2, "the failure was remembered for longer than FAILURE_MEMORY_S"


@pytest.mark.usefixtures("no_local_mnist")
def test_a_part_file_of_a_killed_download_is_removed_by_the_next():
    folder = mnist.cache_folder()
    folder.mkdir(parents=True)
    stale, live = folder / ".t10k-images-idx3-ubyte.gz.k1lled.part", folder / ".t10k-labels-idx1-ubyte.gz.l1ve.part"
    for part in (stale, live):
        part.write_bytes(b"half a file")
    an_hour_ago = time.time() - 3_600
    os.utime(stale, (an_hour_ago, an_hour_ago))
    with pytest.raises(data.DatasetUnavailable):
        data.load("mnist")  # the mirror is a closed port: the attempt fails, its clean-up does not
    assert not stale.exists(), "a .part file an hour old survived the next download"
    assert live.exists(), "a .part file another download may still be writing was deleted"


@pytest.mark.usefixtures("shared_mnist")  # skips where the shared copy is missing
def test_a_corrupt_cache_file_is_set_aside_and_the_shared_copy_used(monkeypatch, caplog):
    monkeypatch.delenv(mnist.DIR_ENV)  # the search order, not the one folder shared_mnist names
    assert mnist.shared_folder() == SHARED_MNIST
    cache = mnist.cache_folder()
    cache.mkdir(parents=True)
    for name in mnist.TEST_FILES:
        shutil.copy(SHARED_MNIST / name, cache / name)
    bad = cache / "t10k-images-idx3-ubyte.gz"
    flip_a_pixel(bad)
    with caplog.at_level(logging.WARNING, logger=mnist.__name__):
        test_split = data.load("mnist", "test")
    assert len(test_split) == 1_000
    assert not bad.exists() and bad.with_name(bad.name + ".corrupt").is_file()
    assert str(bad) in caplog.text and "Moved it aside" in caplog.text
    assert mnist.find_folder() == SHARED_MNIST
