"""The limits of a room and the checks every input passes before anything is stored.

Each check takes what came from a browser (any type, any size) and returns the clean value or raises
`RoomError` with a sentence a person can act on. Types are checked before sizes and sizes before anything costly
(a huge int is compared, never printed; a string is measured before it is scanned), and only flat shapes pass,
so nothing deep or large reaches `json` or the store.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

ROOM_TTL_S = 3 * 60 * 60.0  # a room lives this long after it opens (a lecture and its break)
PRESENCE_S = 15.0  # a session counts as in the room when it heartbeated this recently
CLAIM_STALE_S = 20.0  # a sweep point whose claimant has not heartbeated for this long goes to someone else
MAX_SESSIONS = 1000  # sessions present in one room, and answers to one question
MAX_QUESTIONS = 50  # questions one room may open
ANSWERS_PER_MINUTE = 30  # answer writes one session may make per minute (a new answer replaces the old one)
MAX_PAGE_CHARS = 200
MAX_PARAMS = 64  # knobs in a published view
MAX_PARAMS_BYTES = 4096  # the published query params as JSON
MAX_KEY_CHARS = 64
MAX_TEXT_CHARS = 512  # one string value: a knob, an option, a question's prompt
MAX_SPEC_BYTES = 4096  # a question's or a sweep's spec as JSON
MAX_OPTIONS = 12
MAX_BINS = 100
MAX_SWEEP_POINTS = 64
MAX_RESULT_BYTES = 1024  # one sweep point's result as JSON
MAX_RESULT_KEYS = 16
LARGEST_INT = 2**53  # integers beyond this are not exact as JSON numbers in a browser

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no I, L, O, 0, 1: nothing to misread on a projector
CODE_LENGTH = 6
_CODE = re.compile(f"[{CODE_ALPHABET}]{{{CODE_LENGTH}}}")
_SESSION = re.compile(r"[A-Za-z0-9_-]{8,64}")
_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")
_PAGE = re.compile(r"[A-Za-z0-9_./-]{0,200}")


class RoomError(ValueError):
    """A room action refused, with a sentence that says why; nothing was stored."""


def room_code(text: Any) -> str:
    """A code as typed ("k7m-2qp", " K7M 2QP ") made canonical, or RoomError."""
    if not isinstance(text, str) or len(text) > 32:
        raise RoomError(f"A room code is {CODE_LENGTH} letters and digits, like K7M2QP.")
    code = re.sub(r"[\s-]", "", text).upper()
    if not _CODE.fullmatch(code):
        raise RoomError(f"A room code is {CODE_LENGTH} letters and digits, like K7M2QP "
                        "(there is no I, L, O, 0 or 1 in a code).")
    return code


def session_id(text: Any) -> str:
    if not isinstance(text, str) or not _SESSION.fullmatch(text):
        raise RoomError("This browser's session id is not valid (8 to 64 letters, digits, '-' or '_').")
    return text


def name(text: Any, what: str) -> str:
    """An identifier chosen by the app: a question id, a knob, a result's field."""
    if not isinstance(text, str) or not _NAME.fullmatch(text):
        raise RoomError(f"{what} must be 1 to 64 letters, digits, '.', '-' or '_'.")
    return text


def text(value: Any, what: str, limit: int = MAX_TEXT_CHARS) -> str:
    if not isinstance(value, str) or len(value) > limit:
        raise RoomError(f"{what} must be text of at most {limit} characters.")
    return value


def number(value: Any, what: str, low: float = -math.inf, high: float = math.inf) -> float:
    """A finite number (bool is not one) within [low, high]."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RoomError(f"{what} must be a number.")
    if isinstance(value, int) and not -LARGEST_INT <= value <= LARGEST_INT:
        raise RoomError(f"{what} is too large.")
    if not math.isfinite(value):
        raise RoomError(f"{what} must be a finite number (not NaN or infinity).")
    if not low <= value <= high:
        raise RoomError(f"{what} must lie between {low:g} and {high:g}.")
    return float(value)


def integer(value: Any, what: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise RoomError(f"{what} must be a whole number from {low} to {high}.")
    return value


def sized(value: Any, limit: int, what: str) -> Any:
    """`value` (already checked flat) when its JSON is at most `limit` bytes."""
    if len(json.dumps(value, allow_nan=False).encode()) > limit:
        raise RoomError(f"{what} is too large (at most {limit} bytes).")
    return value


def page_path(value: Any) -> str:
    if not isinstance(value, str) or not _PAGE.fullmatch(value):
        raise RoomError(f"A page path is at most {MAX_PAGE_CHARS} letters, digits and '/', '.', '-', '_'.")
    return value


def scalar(value: Any, what: str) -> str | float | int | bool:
    """A knob's value: text, a finite number or a boolean."""
    if isinstance(value, str):
        return text(value, what)
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return integer(value, what, -LARGEST_INT, LARGEST_INT)
    return number(value, what)


def query_params(params: Any) -> dict[str, Any]:
    """The knobs of a published view: at most 64 names, each with a scalar or a short list of them."""
    if not isinstance(params, dict) or len(params) > MAX_PARAMS:
        raise RoomError(f"A view's knobs must be a mapping of at most {MAX_PARAMS} names.")
    clean = {}
    for key, value in params.items():
        key = name(key, "A knob's name")
        if isinstance(value, list | tuple):
            if len(value) > MAX_PARAMS:
                raise RoomError(f"The knob {key} has too many values.")
            clean[key] = [scalar(item, f"The knob {key}") for item in value]
        else:
            clean[key] = scalar(value, f"The knob {key}")
    return sized(clean, MAX_PARAMS_BYTES, "The view's knobs")
