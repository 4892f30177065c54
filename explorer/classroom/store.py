"""The one small store that rooms live in: JSON documents and hashes of JSON values, each key with a TTL.

`Store` is the protocol (the few operations a room needs); `MemoryStore` keeps everything in this process (the
default: one lecturer's laptop), `RedisStore` (in `redis_store.py`) in a Redis server, so several app replicas
behind a proxy share their rooms. `store_from_env()` picks Redis when `LATENT_LAB_REDIS_URL` is set.

Values are JSON (no NaN or infinity) and are stored encoded, so both stores hand back fresh copies and compare
values the same way. A TTL is in seconds and is set again by every write of its key. Every method is safe to
call from many threads at once (Streamlit runs each session in its own thread).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from explorer.classroom.values import decode, encode

REDIS_URL_VARIABLE = "LATENT_LAB_REDIS_URL"


class Store(Protocol):
    """What a room needs of a store. Keys and hash fields are strings; values are JSON-able."""

    def get(self, key: str) -> Any | None:
        """The document at `key`, or None when there is none (or it expired)."""

    def update(self, key: str, change: Callable[[Any | None], Any], ttl_s: float) -> Any:
        """Atomically replace the document at `key` by `change(current)` (current is None when absent) and return
        it. `change` may run more than once (on a lost race) and must not touch the store; if it raises, nothing
        is written and the exception goes to the caller. `values.StoreBusy` when it loses its race too often."""

    def increment(self, key: str, ttl_s: float) -> int:
        """Atomically add one to the counter at `key` (0 when absent) and return the new count; the TTL is set
        when the counter is made, not by later increments (a fixed window)."""

    def hash_put(self, key: str, field: str, value: Any, ttl_s: float) -> None:
        """Set one field of the hash at `key`."""

    def hash_swap(self, key: str, field: str, expected: Any | None, value: Any, ttl_s: float) -> bool:
        """Set the field to `value` only if it now holds `expected` (None: only if the field is absent); True
        when it was set. The compare-and-set that claims and once-only writes rest on."""

    def hash_get_all(self, key: str) -> dict[str, Any]:
        """Every field of the hash at `key` ({} when there is none)."""

    def hash_size(self, key: str) -> int:
        """How many fields the hash at `key` has."""

    def hash_delete(self, key: str, fields: list[str]) -> None:
        """Remove these fields from the hash at `key` (absent ones are ignored)."""


@dataclass
class _Entry:
    value: str | dict[str, str]  # an encoded document, or a hash of encoded values
    expires_at: float


@dataclass
class MemoryStore:
    """The in-process store: a dict behind one lock, entries dropped when their TTL passes. `clock` gives
    seconds (monotonic by default); tests pass a fake one to move time."""

    clock: Callable[[], float] = time.monotonic
    sweep_every: int = 1000  # writes between sweeps of every expired entry (reads drop the ones they meet)
    _entries: dict[str, _Entry] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _writes: int = field(default=0, repr=False)

    def _live(self, key: str) -> _Entry | None:
        entry = self._entries.get(key)
        if entry is not None and entry.expires_at <= self.clock():
            del self._entries[key]
            return None
        return entry

    def _written(self, key: str, value: str | dict[str, str], ttl_s: float) -> None:
        self._entries[key] = _Entry(value, self.clock() + ttl_s)
        self._writes += 1
        if self._writes % self.sweep_every == 0:
            now = self.clock()
            for stale in [k for k, entry in self._entries.items() if entry.expires_at <= now]:
                del self._entries[stale]

    def _hash(self, key: str) -> dict[str, str]:
        """The live hash at `key`, itself (not a copy): callers hold the lock."""
        entry = self._live(key)
        return entry.value if entry is not None and isinstance(entry.value, dict) else {}

    def _hash_written(self, key: str, field: str, text: str, ttl_s: float) -> None:
        entry = self._live(key)
        fields = entry.value if entry is not None and isinstance(entry.value, dict) else {}
        fields[field] = text
        self._written(key, fields, ttl_s)

    def get(self, key: str) -> Any | None:
        with self._lock:
            entry = self._live(key)
            return decode(entry.value) if entry is not None and isinstance(entry.value, str) else None

    def update(self, key: str, change: Callable[[Any | None], Any], ttl_s: float) -> Any:
        with self._lock:
            entry = self._live(key)
            current = decode(entry.value) if entry is not None and isinstance(entry.value, str) else None
            text = encode(change(current))
            self._written(key, text, ttl_s)
            return decode(text)

    def increment(self, key: str, ttl_s: float) -> int:
        with self._lock:
            entry = self._live(key)
            if entry is None or not isinstance(entry.value, str):
                self._written(key, "1", ttl_s)
                return 1
            entry.value = str(int(entry.value) + 1)
            return int(entry.value)

    def hash_put(self, key: str, field: str, value: Any, ttl_s: float) -> None:
        with self._lock:
            self._hash_written(key, field, encode(value), ttl_s)

    def hash_swap(self, key: str, field: str, expected: Any | None, value: Any, ttl_s: float) -> bool:
        with self._lock:
            if self._hash(key).get(field) != (None if expected is None else encode(expected)):
                return False
            self._hash_written(key, field, encode(value), ttl_s)
            return True

    def hash_get_all(self, key: str) -> dict[str, Any]:
        with self._lock:
            return {name: decode(text) for name, text in self._hash(key).items()}

    def hash_size(self, key: str) -> int:
        with self._lock:
            return len(self._hash(key))

    def hash_delete(self, key: str, fields: list[str]) -> None:
        with self._lock:
            hashed = self._hash(key)
            for name in fields:
                hashed.pop(name, None)


def store_from_env(environ: dict[str, str] | None = None) -> Store:
    """Redis at `LATENT_LAB_REDIS_URL` when it is set (several replicas share rooms), else a new MemoryStore.
    The app keeps one store per process (each call makes a new one)."""
    url = (os.environ if environ is None else environ).get(REDIS_URL_VARIABLE, "").strip()
    if not url:
        return MemoryStore()
    from explorer.classroom.redis_store import RedisStore

    return RedisStore.from_url(url)
