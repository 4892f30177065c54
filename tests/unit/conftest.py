"""Fixtures of the classroom tests (tests/unit/test_classroom_*.py): a fake clock, and each store the rooms can
live in: the in-process one, and a real Redis server started for the run (skipped only where Debian's
redis-server is not installed)."""

from __future__ import annotations

import pytest

from explorer.bench.redis_server import REDIS_SERVER, redis_server


class FakeClock:
    """Seconds that move only when a test says so."""

    def __init__(self, now: float = 1_700_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    """A throw-away redis-server (no persistence, its own folder and port), stopped after the run."""
    if REDIS_SERVER is None:
        pytest.skip("redis-server is not installed (Debian: apt-get install redis-server); the Redis store is "
                    "tested where it is")
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


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
