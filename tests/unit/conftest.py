"""Fixtures of the classroom tests (tests/unit/test_classroom_*.py): a fake clock, and each store the rooms can
live in: the in-process one, and a real Redis server started for the run (skipped only where Debian's
redis-server is not installed)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time

import pytest

REDIS_SERVER = shutil.which("redis-server")


class FakeClock:
    """Seconds that move only when a test says so."""

    def __init__(self, now: float = 1_700_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    """A throw-away redis-server (no persistence, its own folder and port), stopped after the run."""
    if REDIS_SERVER is None:
        pytest.skip("redis-server is not installed (Debian: apt-get install redis-server); the Redis store is "
                    "tested where it is")
    import redis

    port, folder = _free_port(), tmp_path_factory.mktemp("redis")
    server = subprocess.Popen([REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                               "--appendonly", "no", "--dir", str(folder)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                redis.Redis.from_url(url).ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.05)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def room_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(params=["memory", "redis"])
def room_store(request, room_clock):
    """The same tests over both stores: an empty MemoryStore on the fake clock, or the Redis server flushed."""
    from explorer.classroom.store import MemoryStore

    if request.param == "memory":
        return MemoryStore(clock=room_clock)
    from explorer.classroom.redis_store import RedisStore

    store = RedisStore.from_url(request.getfixturevalue("redis_url"))
    store.client.flushdb()
    return store


@pytest.fixture
def classroom(room_store, room_clock):
    from explorer.classroom import Classroom

    return Classroom(room_store, clock=room_clock)
