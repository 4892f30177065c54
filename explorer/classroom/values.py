"""How the classroom's stores hold values: compact JSON text (no NaN or infinity), TTLs in whole seconds, and the
one error of a store. Shared by `store.py` (the protocol, the in-process store) and `redis_store.py`."""

from __future__ import annotations

import json
import math
from typing import Any


class StoreBusy(RuntimeError):
    """An atomic update lost its race too many times in a row (many writers on one key)."""


def encode(value: Any) -> str:
    """The stored form of a value: compact JSON with sorted keys, so equal values compare equal as text."""
    return json.dumps(value, allow_nan=False, sort_keys=True, separators=(",", ":"))


def decode(text: str | bytes | None) -> Any | None:
    return None if text is None else json.loads(text)


def ttl_seconds(ttl_s: float) -> int:
    """A TTL as the whole seconds Redis takes: rounded up, at least one."""
    return max(1, math.ceil(ttl_s))
