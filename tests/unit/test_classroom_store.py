"""The classroom's store: the same operations behave the same in process and in Redis, atomically under threads."""

from __future__ import annotations

import math
import socket
from concurrent.futures import ThreadPoolExecutor

import pytest

from explorer.classroom.redis_store import RedisStore
from explorer.classroom.store import MemoryStore, store_from_env


def test_a_document_is_read_back_as_a_fresh_copy(room_store):
    assert room_store.get("a") is None
    written = room_store.update("a", lambda old: {"n": [1, 2], "old": old}, 60)
    assert written == room_store.get("a") == {"n": [1, 2], "old": None}
    room_store.get("a")["n"].append(3)
    assert room_store.get("a") == {"n": [1, 2], "old": None}


def test_an_update_that_raises_writes_nothing(room_store):
    room_store.update("a", lambda old: 1, 60)

    def refuse(old):
        raise KeyError("no")

    with pytest.raises(KeyError):
        room_store.update("a", refuse, 60)
    assert room_store.get("a") == 1


def test_values_that_are_not_json_are_refused(room_store):
    with pytest.raises(ValueError):
        room_store.update("a", lambda old: math.nan, 60)
    with pytest.raises(ValueError):
        room_store.hash_put("h", "f", math.inf, 60)
    assert room_store.get("a") is None and room_store.hash_get_all("h") == {}


def test_hash_operations(room_store):
    room_store.hash_put("h", "x", {"v": 1}, 60)
    room_store.hash_put("h", "y", [2], 60)
    room_store.hash_put("h", "x", {"v": 3}, 60)
    assert room_store.hash_get_all("h") == {"x": {"v": 3}, "y": [2]} and room_store.hash_size("h") == 2
    room_store.hash_delete("h", ["y", "absent"])
    room_store.hash_delete("h", [])
    assert room_store.hash_get_all("h") == {"x": {"v": 3}} and room_store.hash_get_all("none") == {}


def test_hash_swap_is_a_compare_and_set(room_store):
    assert room_store.hash_swap("h", "f", None, {"s": "a"}, 60)
    assert not room_store.hash_swap("h", "f", None, {"s": "b"}, 60)  # taken
    assert not room_store.hash_swap("h", "f", {"s": "b"}, {"s": "c"}, 60)  # not what it holds
    assert room_store.hash_swap("h", "f", {"s": "a"}, {"s": "c"}, 60)
    assert room_store.hash_get_all("h") == {"f": {"s": "c"}}


def test_increment_counts_from_one(room_store):
    assert [room_store.increment("c", 60) for _ in range(3)] == [1, 2, 3]


def test_the_memory_store_forgets_what_expired(room_clock):
    store = MemoryStore(clock=room_clock, sweep_every=2)
    store.update("doc", lambda old: 1, 10)
    store.hash_put("hash", "f", 1, 10)
    store.increment("count", 10)
    room_clock.advance(9.9)
    assert store.get("doc") == 1 and store.hash_size("hash") == 1
    room_clock.advance(0.2)
    assert store.get("doc") is None and store.hash_get_all("hash") == {} and store.increment("count", 10) == 1
    store.update("other", lambda old: 1, 10)
    room_clock.advance(11)
    store.update("new", lambda old: 1, 10)  # a sweep on this write drops every expired entry
    assert set(store._entries) == {"new"}


def test_redis_keys_carry_their_ttl(redis_url):
    store = RedisStore.from_url(redis_url)
    store.client.flushdb()
    store.update("doc", lambda old: 1, 30.2)
    store.hash_put("hash", "f", 1, 30)
    store.hash_swap("swapped", "f", None, 1, 30)
    store.increment("count", 30)
    assert all(0 < store.client.ttl(key) <= 31 for key in ("doc", "hash", "swapped", "count"))


def test_store_from_env_picks_redis_when_its_url_is_set(redis_url):
    assert isinstance(store_from_env({}), MemoryStore)
    assert isinstance(store_from_env({"LATENT_LAB_REDIS_URL": "  "}), MemoryStore)
    store = store_from_env({"LATENT_LAB_REDIS_URL": redis_url})
    assert isinstance(store, RedisStore) and store.client.ping()


def test_many_threads_at_once_lose_no_write(room_store):
    def work(index: int) -> None:
        room_store.update("sum", lambda old: (old or 0) + 1, 60)
        room_store.increment("count", 60)
        room_store.hash_put("hash", f"f{index}", index, 60)
        room_store.hash_swap("once", "f", None, index, 60)

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(work, range(200)))
    assert room_store.get("sum") == 200 and room_store.increment("count", 60) == 201
    assert room_store.hash_size("hash") == 200 and len(room_store.hash_get_all("once")) == 1


def test_a_redis_that_cannot_be_reached_is_a_room_error_and_no_crash():
    """A Redis restart in a lecture: each operation says so in a sentence a page shows (`RoomError`)."""
    from explorer.classroom import Classroom, RoomError
    from explorer.classroom.redis_store import RedisStore

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    classroom = Classroom(RedisStore.from_url(f"redis://127.0.0.1:{port}/0"))
    with pytest.raises(RoomError, match="cannot be reached"):
        classroom.open_room()
    with pytest.raises(RoomError, match="cannot be reached"):
        classroom.view("ABCDEF")
