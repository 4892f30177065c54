"""The class sweep: the lecturer starts a sweep over β, σ or seeds of a small model; each student's session
claims one point, trains it and submits its numbers; the results fill the lecturer's plot. A claim holds while
its student is alive (a heartbeat, or the claim itself, within the last 20 s); after that the point goes to the
next student who asks, so a student who leaves never stalls the sweep.

Spec: {"knob": "beta" | "sigma" | "seed", "values": [1 to 64 values], "model": {at most 16 knobs: scalars}}.

Keys (beside the room's, `rooms.py`):
    sweep              {"id", "knob", "values", "model", "started_at"} (a new sweep replaces it)
    claims:SWEEP       hash: point index -> {"session", "at"} (taken and handed on by compare-and-set)
    results:SWEEP      hash: point index -> {name: finite number} (written once, by the point's claimant)
"""

from __future__ import annotations

import secrets
from typing import Any

from explorer.classroom import checks
from explorer.classroom.checks import RoomError
from explorer.classroom.rooms import Rooms

KNOB_RANGES = {"beta": (0.0, 1000.0), "sigma": (1e-3, 1e3), "seed": (0, 2**32 - 1)}
MAX_MODEL_KNOBS = 16


def sweep_spec(spec: Any) -> dict:
    """A sweep's spec, checked: a known knob, its values in range (seeds whole), a flat model spec."""
    if not isinstance(spec, dict) or set(spec) != {"knob", "values", "model"}:
        raise RoomError("A sweep's spec has exactly the keys knob, values and model.")
    knob, values, model = spec["knob"], spec["values"], spec["model"]
    if knob not in KNOB_RANGES:
        raise RoomError(f"A sweep runs over one of {', '.join(KNOB_RANGES)}.")
    if not isinstance(values, list | tuple) or not 1 <= len(values) <= checks.MAX_SWEEP_POINTS:
        raise RoomError(f"A sweep has 1 to {checks.MAX_SWEEP_POINTS} values.")
    low, high = KNOB_RANGES[knob]
    if knob == "seed":
        values = [checks.integer(value, "A seed", low, high) for value in values]
    else:
        values = [checks.number(value, f"A value of {knob}", low, high) for value in values]
    if not isinstance(model, dict) or len(model) > MAX_MODEL_KNOBS:
        raise RoomError(f"A sweep's model is a mapping of at most {MAX_MODEL_KNOBS} knobs.")
    model = {checks.name(key, "A model knob"): checks.scalar(value, f"The model knob {key}")
             for key, value in model.items()}
    return checks.sized({"knob": knob, "values": values, "model": model}, checks.MAX_SPEC_BYTES, "The sweep")


def result_numbers(result: Any) -> dict[str, float]:
    """A point's result: at most 16 named finite numbers."""
    if not isinstance(result, dict) or not 1 <= len(result) <= checks.MAX_RESULT_KEYS:
        raise RoomError(f"A result is a mapping of 1 to {checks.MAX_RESULT_KEYS} named numbers.")
    clean = {checks.name(key, "A result's name"): checks.number(value, f"The result {key}")
             for key, value in result.items()}
    return checks.sized(clean, checks.MAX_RESULT_BYTES, "The result")


class Sweeps(Rooms):
    """The class sweep of a room (see the module's docstring)."""

    def start_sweep(self, code: Any, secret: Any, spec: Any) -> str:
        """Start a sweep (replacing any other); returns its id."""
        spec = sweep_spec(spec)
        code, left = self._lecturer(code, secret)
        sweep = {**spec, "id": secrets.token_hex(6), "started_at": self.clock()}
        return self._atomic(self.key(code, "sweep"), lambda _: sweep, left)["id"]

    def _sweep(self, code: str) -> dict:
        sweep = self.store.get(self.key(code, "sweep"))
        if sweep is None:
            raise RoomError("There is no sweep in this room.")
        return sweep

    def _alive(self, code: str) -> tuple[float, dict[str, dict]]:
        return self.clock(), self._present(code, within_s=checks.CLAIM_STALE_S)

    def _is_stale(self, claim: dict, alive: tuple[float, dict[str, dict]]) -> bool:
        now, present = alive
        return claim["session"] not in present and now - claim["at"] > checks.CLAIM_STALE_S

    def claim_point(self, code: Any, session_id: Any) -> dict | None:
        """A point for this session to train: the one it holds, else a free one, else one whose claimant went
        quiet. None when every point is done or held by someone alive.
        Returns {"sweep_id", "point_id", "knob", "value", "model"}."""
        session_id = checks.session_id(session_id)
        code, _, left = self._room(code)
        sweep = self._sweep(code)
        claims_key = self.key(code, "claims", sweep["id"])
        claims = self.store.hash_get_all(claims_key)
        done = self.store.hash_get_all(self.key(code, "results", sweep["id"]))
        todo = [str(index) for index in range(len(sweep["values"])) if str(index) not in done]
        held = [point for point in todo if claims.get(point, {}).get("session") == session_id]
        alive = self._alive(code)
        free = [point for point in todo if point not in claims]
        stale = [point for point in todo if point in claims and self._is_stale(claims[point], alive)]
        if free:  # begin at a random free point, so a class asking at once does not queue on the first one
            start = secrets.randbelow(len(free))
            free = free[start:] + free[:start]
        mine = {"session": session_id, "at": alive[0]}
        for point in held + free + stale:
            if self.store.hash_swap(claims_key, point, claims.get(point), mine, left):
                return {"sweep_id": sweep["id"], "point_id": int(point), "knob": sweep["knob"],
                        "value": sweep["values"][int(point)], "model": sweep["model"]}
        return None

    def submit_result(self, code: Any, session_id: Any, point_id: Any, result: Any) -> None:
        """The numbers of a trained point: only from the session that holds its claim, and only once."""
        session_id, result = checks.session_id(session_id), result_numbers(result)
        code, _, left = self._room(code)
        sweep = self._sweep(code)
        point = str(checks.integer(point_id, "A point id", 0, len(sweep["values"]) - 1))
        claim = self.store.hash_get_all(self.key(code, "claims", sweep["id"])).get(point)
        if claim is None or claim["session"] != session_id:
            raise RoomError("This point is not yours to submit: claim a point first (it may have gone to "
                            "another student after a long silence).")
        if not self.store.hash_swap(self.key(code, "results", sweep["id"]), point, None, result, left):
            raise RoomError("This point already has its result.")

    def sweep_status(self, code: Any) -> dict | None:
        """The sweep for the lecturer's plot, anonymous: each point's value, state (waiting, training, done) and
        result; None when the room has no sweep."""
        code, _, _ = self._room(code)
        sweep = self.store.get(self.key(code, "sweep"))
        if sweep is None:
            return None
        claims = self.store.hash_get_all(self.key(code, "claims", sweep["id"]))
        results = self.store.hash_get_all(self.key(code, "results", sweep["id"]))
        alive = self._alive(code)
        points = []
        for index, value in enumerate(sweep["values"]):
            point, claim = str(index), claims.get(str(index))
            training = claim is not None and not self._is_stale(claim, alive)
            state = "done" if point in results else "training" if training else "waiting"
            points.append({"point_id": index, "value": value, "state": state, "result": results.get(point)})
        return {"sweep_id": sweep["id"], "knob": sweep["knob"], "model": sweep["model"], "points": points,
                "done": len(results), "total": len(points)}
