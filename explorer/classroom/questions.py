"""Predict, then reveal: the lecturer opens a question, each student answers, the lecturer reveals the truth
beside the class's answers. Answers are anonymous: a tally holds counts, a histogram and sorted values, never a
session id.

Kinds and their specs (each may add a "prompt" of at most 512 characters):
    choice  {"options": [2 to 12 texts]}              an answer is an option's index
    slider  {"low": a, "high": b, "bins": 1..100}     an answer is a number in [a, b]; the tally a histogram
    point   {"x": [x0, x1], "y": [y0, y1]}            an answer is [x, y] inside the box (a click on a plot)

Keys (beside the room's, `rooms.py`):
    questions          {"order": [question ids], "current": the last opened}
    question:ID        {"id", "kind", "spec", "state": open | closed | revealed, "round", "truth"}
    answers:ID:ROUND   hash: session id -> answer (reopening a question starts a new round: answers start over)
    rate:SESSION:MIN   the session's answer writes in that minute (at most 30)
"""

from __future__ import annotations

from typing import Any

from explorer.classroom import checks
from explorer.classroom.checks import RoomError
from explorer.classroom.rooms import Rooms

KINDS = ("choice", "slider", "point")
SPEC_KEYS = {"choice": {"options"}, "slider": {"low", "high", "bins"}, "point": {"x", "y"}}
DEFAULT_BINS = 20


def _interval(value: Any, what: str) -> list[float]:
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise RoomError(f"{what} must be a pair [low, high].")
    low, high = (checks.number(end, what) for end in value)
    if not low < high:
        raise RoomError(f"{what} must have low < high.")
    return [low, high]


def question_spec(kind: Any, spec: Any) -> dict:
    """A question's spec, checked for its kind (unknown keys refused)."""
    if kind not in KINDS:
        raise RoomError(f"A question's kind is one of {', '.join(KINDS)}.")
    if not isinstance(spec, dict) or not set(spec) <= SPEC_KEYS[kind] | {"prompt"}:
        raise RoomError(f"A {kind} question's spec has only the keys {sorted(SPEC_KEYS[kind] | {'prompt'})}.")
    clean = {"prompt": checks.text(spec["prompt"], "The prompt")} if "prompt" in spec else {}
    if kind == "choice":
        options = spec.get("options")
        if not isinstance(options, list | tuple) or not 2 <= len(options) <= checks.MAX_OPTIONS:
            raise RoomError(f"A choice question has 2 to {checks.MAX_OPTIONS} options.")
        clean["options"] = [checks.text(option, "An option", 200) for option in options]
    elif kind == "slider":
        clean["low"], clean["high"] = _interval([spec.get("low"), spec.get("high")], "The slider's range")
        clean["bins"] = checks.integer(spec.get("bins", DEFAULT_BINS), "The number of bins", 1, checks.MAX_BINS)
    else:
        clean["x"], clean["y"] = _interval(spec.get("x"), "The x range"), _interval(spec.get("y"), "The y range")
    return checks.sized(clean, checks.MAX_SPEC_BYTES, "The question's spec")


def answer_value(kind: str, spec: dict, value: Any) -> int | float | list[float]:
    """An answer (or the truth) checked against its question's spec."""
    if kind == "choice":
        return checks.integer(value, "The answer", 0, len(spec["options"]) - 1)
    if kind == "slider":
        return checks.number(value, "The answer", spec["low"], spec["high"])
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise RoomError("The answer must be a point [x, y].")
    return [checks.number(value[0], "The point's x", *spec["x"]), checks.number(value[1], "The point's y", *spec["y"])]


def summary(question: dict, answers: list) -> dict:
    """The anonymous tally of these answers: counts per option, or a histogram and sorted values, or points."""
    kind, spec = question["kind"], question["spec"]
    tally = {"question_id": question["id"], "kind": kind, "spec": spec, "state": question["state"],
             "count": len(answers), "truth": question.get("truth") if question["state"] == "revealed" else None}
    if kind == "choice":
        tally["counts"] = [sum(answer == index for answer in answers) for index in range(len(spec["options"]))]
    elif kind == "slider":
        low, high, bins = spec["low"], spec["high"], spec["bins"]
        width = (high - low) / bins
        counts = [0] * bins
        for answer in answers:
            counts[min(int((answer - low) / width), bins - 1)] += 1
        tally["histogram"] = {"edges": [low + width * i for i in range(bins)] + [high], "counts": counts}
        tally["values"] = sorted(answers)
    else:
        tally["points"] = sorted(answers)
    return tally


class Questions(Rooms):
    """The questions of a room (see the module's docstring)."""

    def _question(self, code: str, question_id: Any) -> dict:
        question_id = checks.name(question_id, "A question id")
        question = self.store.get(self.key(code, "question", question_id))
        if question is None:
            raise RoomError(f"There is no question {question_id} in this room.")
        return question

    def open_question(self, code: Any, secret: Any, question_id: Any, kind: Any, spec: Any) -> dict:
        """Open (or reopen, with no answers) a question; it becomes the room's current one."""
        question_id, spec = checks.name(question_id, "A question id"), question_spec(kind, spec)
        code, left = self._lecturer(code, secret)

        def listed(index: Any) -> dict:
            index = index or {"order": [], "current": None}
            if question_id not in index["order"] and len(index["order"]) >= checks.MAX_QUESTIONS:
                raise RoomError(f"A room holds at most {checks.MAX_QUESTIONS} questions.")
            order = index["order"] + ([] if question_id in index["order"] else [question_id])
            return {"order": order, "current": question_id}

        self._atomic(self.key(code, "questions"), listed, left)

        def opened(old: Any) -> dict:
            return {"id": question_id, "kind": kind, "spec": spec, "state": "open",
                    "round": (old or {"round": 0})["round"] + 1, "truth": None}

        return self._atomic(self.key(code, "question", question_id), opened, left)

    def close_question(self, code: Any, secret: Any, question_id: Any) -> None:
        """No more answers; the tally stays."""
        self._set_state(code, secret, question_id, "closed", None)

    def reveal(self, code: Any, secret: Any, question_id: Any, truth: Any = None) -> dict:
        """Close the question and show the true result (checked like an answer; None: none) beside the tally."""
        self._set_state(code, secret, question_id, "revealed", truth)
        return self.tally(code, question_id)

    def _set_state(self, code: Any, secret: Any, question_id: Any, state: str, truth: Any) -> None:
        code, left = self._lecturer(code, secret)
        question = self._question(code, question_id)
        if truth is not None:
            truth = answer_value(question["kind"], question["spec"], truth)

        def change(current: Any) -> dict:
            if current is None or current["round"] != question["round"]:
                raise RoomError("The question changed meanwhile: try again.")
            if state == "closed":  # closing a revealed question keeps it revealed
                return {**current, "state": "revealed" if current["state"] == "revealed" else "closed"}
            return {**current, "state": state, "truth": truth}

        self._atomic(self.key(code, "question", question["id"]), change, left)

    def current_question(self, code: Any) -> dict | None:
        """The question opened last, as students see it ({"id", "kind", "spec", "state"}), or None."""
        code, _, _ = self._room(code)
        index = self.store.get(self.key(code, "questions"))
        if not index or index["current"] is None:
            return None
        question = self._question(code, index["current"])
        return {name: question[name] for name in ("id", "kind", "spec", "state")}

    def answer(self, code: Any, session_id: Any, question_id: Any, value: Any) -> None:
        """This session's answer (a later one replaces it). Refused when the question is not open, the value
        does not fit its spec, or the session wrote more than 30 answers this minute."""
        session_id = checks.session_id(session_id)
        code, _, left = self._room(code)
        question = self._question(code, question_id)
        if question["state"] != "open":
            raise RoomError("This question is closed: answers are no longer taken.")
        value = answer_value(question["kind"], question["spec"], value)
        answers = self.key(code, "answers", question["id"], str(question["round"]))
        if self.store.hash_size(answers) >= checks.MAX_SESSIONS and session_id not in self.store.hash_get_all(answers):
            raise RoomError(f"This question already has {checks.MAX_SESSIONS} answers.")
        minute = int(self.clock() // 60)
        if self.store.increment(self.key(code, "rate", session_id, str(minute)), 120.0) > checks.ANSWERS_PER_MINUTE:
            raise RoomError(f"Too many answers from this browser: at most {checks.ANSWERS_PER_MINUTE} a minute.")
        self.store.hash_put(answers, session_id, value, left)

    def tally(self, code: Any, question_id: Any) -> dict:
        """The class's answers to a question, anonymous (see `summary`); "truth" is set once it is revealed."""
        code, _, _ = self._room(code)
        question = self._question(code, question_id)
        answers = self.store.hash_get_all(self.key(code, "answers", question["id"], str(question["round"])))
        return summary(question, list(answers.values()))
