"""The store in a Redis server (`redis` PyPI client), so that app replicas behind one proxy share their rooms.

The same `Store` operations as `MemoryStore`, each one atomic in Redis: `update` is an optimistic transaction
(WATCH the key, read, MULTI/SET/EXEC, again on a lost race), `hash_swap` a small Lua script (compare a field and
set it in one step), `increment` SET NX EX then INCR in one transaction. The client's connection pool is safe to
share between threads.
"""

from __future__ import annotations

import functools
import random
import time
from collections.abc import Callable
from typing import Any

import redis

from explorer.classroom.checks import RoomError
from explorer.classroom.values import StoreBusy, decode, encode, ttl_seconds

UPDATE_TRIES = 50  # lost races before `update` gives up (only a lecturer writes the documents it updates)
BACKOFF_S = 0.005  # the longest wait after a lost race
TIMEOUT_S = 2.0  # a Redis that does not answer in this long is an error, not a hung page

# KEYS[1] the hash; ARGV: field, expected encoded value ('' for "absent"), new encoded value, TTL in seconds.
SWAP_SCRIPT = """
local current = redis.call('HGET', KEYS[1], ARGV[1])
if ARGV[2] == '' then
  if current then return 0 end
elseif current ~= ARGV[2] then
  return 0
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('EXPIRE', KEYS[1], ARGV[4])
return 1
"""


OPERATIONS = ("get", "update", "increment", "hash_put", "hash_swap", "hash_get_all", "hash_size", "hash_delete")
UNREACHABLE = "The class's shared store (Redis) cannot be reached just now; nothing was changed. Try again shortly."


def _unreachable_is_a_room_error(cls: type) -> type:
    """Each operation's lost connection or timeout raised as a `RoomError` (a page shows its sentence), not as a
    `redis` exception that would end the page's run: a Redis restart in a lecture is a message, not a crash."""
    for name in OPERATIONS:
        def guarded(self, *args, _operation=getattr(cls, name), **kwargs):
            try:
                return _operation(self, *args, **kwargs)
            except (redis.ConnectionError, redis.TimeoutError) as err:
                raise RoomError(UNREACHABLE) from err

        setattr(cls, name, functools.wraps(getattr(cls, name))(guarded))
    return cls


@_unreachable_is_a_room_error
class RedisStore:
    """`Store` in Redis. Build it with `RedisStore.from_url("redis://host:6379/0")` or around a client."""

    def __init__(self, client: redis.Redis):
        self.client = client
        self._swap = client.register_script(SWAP_SCRIPT)
        self._jitter = random.Random()  # the store's own: how long a writer that lost a race waits

    @classmethod
    def from_url(cls, url: str) -> RedisStore:
        return cls(redis.Redis.from_url(url, decode_responses=True, socket_timeout=TIMEOUT_S,
                                        socket_connect_timeout=TIMEOUT_S))

    def get(self, key: str) -> Any | None:
        return decode(self.client.get(key))

    def update(self, key: str, change: Callable[[Any | None], Any], ttl_s: float) -> Any:
        with self.client.pipeline() as pipe:
            for _ in range(UPDATE_TRIES):
                try:
                    pipe.watch(key)
                    text = encode(change(decode(pipe.get(key))))
                    pipe.multi()
                    pipe.set(key, text, ex=ttl_seconds(ttl_s))
                    pipe.execute()
                    return decode(text)
                except redis.WatchError:  # another writer came first: wait a random while, so that a crowd
                    time.sleep(self._jitter.uniform(0, BACKOFF_S))  # of writers on one key (a test's 16 threads)
                    continue  # spreads out instead of losing to each other again and again
        raise StoreBusy(f"{key} changed {UPDATE_TRIES} times while being updated")

    def increment(self, key: str, ttl_s: float) -> int:
        with self.client.pipeline() as pipe:
            pipe.set(key, 0, ex=ttl_seconds(ttl_s), nx=True)
            pipe.incr(key)
            return int(pipe.execute()[1])

    def hash_put(self, key: str, field: str, value: Any, ttl_s: float) -> None:
        with self.client.pipeline() as pipe:
            pipe.hset(key, field, encode(value))
            pipe.expire(key, ttl_seconds(ttl_s))
            pipe.execute()

    def hash_swap(self, key: str, field: str, expected: Any | None, value: Any, ttl_s: float) -> bool:
        old = "" if expected is None else encode(expected)
        return bool(self._swap(keys=[key], args=[field, old, encode(value), ttl_seconds(ttl_s)]))

    def hash_get_all(self, key: str) -> dict[str, Any]:
        return {name: decode(text) for name, text in self.client.hgetall(key).items()}

    def hash_size(self, key: str) -> int:
        return int(self.client.hlen(key))

    def hash_delete(self, key: str, fields: list[str]) -> None:
        if fields:
            self.client.hdel(key, *fields)
