"""A room's lifecycle, the lecturer's published view ("follow me") and who is in the room.

A room is a short code (public: students type it or scan it) and a secret (the lecturer's alone: only its SHA-256
is stored, and every lecturer action compares it in constant time). Every key of a room starts with
`latent-lab:{CODE}:` and expires with the room; the room's document holds when it expires, which every action
checks against this object's clock, so a room ends on time whatever the store's TTLs do.

    room       {"secret_sha256", "opened_at", "expires_at"}
    view       {"page", "params", "version", "gather"}  (version +1 on each change, gather +1 on "bring everyone")
    presence   hash: session id -> {"following": bool, "seen": time}
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from typing import Any

from explorer.classroom import checks
from explorer.classroom.checks import RoomError
from explorer.classroom.store import Store
from explorer.classroom.values import StoreBusy

OPEN_TRIES = 8  # codes drawn before giving up (a clash among 31**6 codes is rare; eight in a row is a broken store)
FORGOTTEN_S = 10 * 60.0  # presence entries older than this are deleted when someone counts


class _CodeTaken(Exception):
    """The code drawn belongs to an open room: draw another."""


def no_view() -> dict:
    """The view of a room whose lecturer has published nothing yet (a new dict each time)."""
    return {"page": "", "params": {}, "version": 0, "gather": 0}


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class Rooms:
    """Rooms in one store. `clock` gives wall-clock seconds (shared by every replica); tests pass a fake one."""

    def __init__(self, store: Store, clock: Callable[[], float] = time.time):
        self.store = store
        self.clock = clock

    # -- keys, documents, the secret ------------------------------------------------------------------------------

    @staticmethod
    def key(code: str, *parts: str) -> str:
        return ":".join(["latent-lab", "{" + code + "}", *parts])

    def _room(self, code: Any) -> tuple[str, dict, float]:
        """(code, room document, seconds it has left) of an open room, or RoomError."""
        code = checks.room_code(code)
        room = self.store.get(self.key(code, "room"))
        left = room["expires_at"] - self.clock() if room else 0.0
        if left <= 0:
            raise RoomError(f"There is no open room {code}: check the code, or the lecture may have ended.")
        return code, room, left

    def _lecturer(self, code: Any, secret: Any) -> tuple[str, float]:
        """(code, seconds left) when `secret` is the room's, else RoomError. Compared in constant time."""
        code, room, left = self._room(code)
        given = secret if isinstance(secret, str) and len(secret) <= 256 else ""
        if not hmac.compare_digest(_digest(given), room["secret_sha256"]):
            raise RoomError("Only the lecturer who opened this room can do that (the room's secret did not match).")
        return code, left

    def _atomic(self, key: str, change: Callable[[Any], Any], ttl_s: float) -> Any:
        try:
            return self.store.update(key, change, ttl_s)
        except StoreBusy as busy:
            raise RoomError("The room is busy: try again in a moment.") from busy

    # -- lifecycle ------------------------------------------------------------------------------------------------

    def open_room(self) -> tuple[str, str]:
        """A new room: (code, secret). The code goes on the projector; the secret stays with the lecturer."""
        secret = secrets.token_urlsafe(32)
        now = self.clock()
        document = {"secret_sha256": _digest(secret), "opened_at": now, "expires_at": now + checks.ROOM_TTL_S}
        for _ in range(OPEN_TRIES):
            code = "".join(secrets.choice(checks.CODE_ALPHABET) for _ in range(checks.CODE_LENGTH))

            def claim(current: Any, code: str = code) -> dict:
                if current is not None:  # open, or closed with its keys not yet expired: never reused
                    raise _CodeTaken(code)
                return document

            try:
                self._atomic(self.key(code, "room"), claim, checks.ROOM_TTL_S)
            except _CodeTaken:
                continue
            return code, secret
        raise RoomError("No free room code was found: try again.")

    def join(self, code: Any) -> str:
        """The canonical code of an open room (what a student typed, checked), or RoomError."""
        return self._room(code)[0]

    def close_room(self, code: Any, secret: Any) -> None:
        """End the room now: every later action on it is refused. Its keys expire with their TTLs, and its code is
        not drawn again before they have (the room's document keeps its TTL)."""
        code, left = self._lecturer(code, secret)
        self._atomic(self.key(code, "room"), lambda room: {**room, "expires_at": self.clock()}, left)

    # -- the lecturer's view ("follow me") --------------------------------------------------------------------------

    def publish(self, code: Any, secret: Any, page: Any, params: Any) -> int:
        """The lecturer is on `page` with these knobs (tab and preset included); returns the view's version,
        which goes up by one when the page or a knob changed."""
        page, params = checks.page_path(page), checks.query_params(params)
        code, left = self._lecturer(code, secret)

        def change(view: Any) -> dict:
            view = view or no_view()
            if view["version"] and (view["page"], view["params"]) == (page, params):
                return view
            return {**view, "page": page, "params": params, "version": view["version"] + 1}

        return self._atomic(self.key(code, "view"), change, left)["version"]

    def bring_everyone_here(self, code: Any, secret: Any) -> int:
        """Ask every student to follow again (exploring ones too): the view's `gather` goes up by one."""
        code, left = self._lecturer(code, secret)

        def change(view: Any) -> dict:
            view = view or no_view()
            return {**view, "gather": view["gather"] + 1}

        return self._atomic(self.key(code, "view"), change, left)["gather"]

    def view(self, code: Any) -> dict:
        """What followers show: {"page", "params", "version", "gather"} (version 0: nothing published yet)."""
        code, _, _ = self._room(code)
        return self.store.get(self.key(code, "view")) or no_view()

    # -- who is in the room -----------------------------------------------------------------------------------------

    def heartbeat(self, code: Any, session_id: Any, following: Any) -> None:
        """A student's session is in the room, following the lecturer or exploring on its own."""
        session_id = checks.session_id(session_id)
        if not isinstance(following, bool):
            raise RoomError("Following must be true or false.")
        code, _, left = self._room(code)
        key = self.key(code, "presence")
        if self.store.hash_size(key) >= checks.MAX_SESSIONS:
            known = self._present(code, within_s=FORGOTTEN_S)
            if session_id not in known and len(known) >= checks.MAX_SESSIONS:
                raise RoomError(f"The room is full ({checks.MAX_SESSIONS} sessions).")
        self.store.hash_put(key, session_id, {"following": following, "seen": self.clock()}, left)

    def _present(self, code: str, within_s: float = checks.PRESENCE_S) -> dict[str, dict]:
        """Sessions seen in the last `within_s` seconds (entries long gone are deleted on the way)."""
        key, now = self.key(code, "presence"), self.clock()
        everyone = self.store.hash_get_all(key)
        forgotten = [sid for sid, seen in everyone.items() if now - seen["seen"] > FORGOTTEN_S]
        self.store.hash_delete(key, forgotten)
        return {sid: seen for sid, seen in everyone.items() if now - seen["seen"] <= within_s}

    def presence(self, code: Any) -> dict[str, int]:
        """How many sessions are here: {"following": n, "exploring": m} (counts only, never who)."""
        code, _, _ = self._room(code)
        present = self._present(code).values()
        following = sum(seen["following"] for seen in present)
        return {"following": following, "exploring": len(present) - following}
