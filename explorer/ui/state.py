"""Shareable state: a page's knobs live in the address bar, so a link reproduces the view; presets set them all.

A page declares its knobs, widget key -> allowed values (`Choice`, `Range`), and calls `bind(knobs)` before its
widgets. For a knob that has no value in this session yet (a pasted link opens a new session), a URL value that
is one of the widget's allowed values seeds `st.session_state[key]`, which the widget with that key then shows;
a value a knob refuses is named, with the reason, in a small note on the page, and anything else in the URL is
ignored; both leave the URL. Every knob's `read` is total: any text gives a value or a `Refused` reason, never an
exception (links are typed by strangers: '1e999', 'nan', a 5,000-digit integer). Then the session's values are
written to `st.query_params`, defaults left out. Writing at the top of a run is enough: a moved widget's new value
is in `st.session_state` before the script reruns. What a page changes later in the run (a "new draw" button) it
publishes again with `publish(knobs)` at its end.

`presets(page, named, knobs)` offers named settings of every knob at once. A choice acts in the pills' on_change
callback, which runs before the next script run: there (and only there) a widget's value may be set through
`st.session_state`. Knobs a preset does not name go back to their defaults, so a preset always shows the same.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import streamlit as st


@dataclass(frozen=True)
class Refused:
    """Why a knob did not take a URL value, in words for the page's note ("not a number")."""

    reason: str


NOT_AN_OPTION = Refused("not one of the options")


def _value_or_none(value: Any) -> Any:
    return None if isinstance(value, Refused) else value


def _unsigned(text: str) -> str:
    return text[1:] if text[:1] in ("+", "-") else text


def _is_digits(text: str) -> bool:
    """ASCII digits only: str.isdigit() and int() also take other scripts' digits ('٣'), '²', '1_000', ' 7 '."""
    return text.isascii() and text.isdigit()


def _is_decimal(text: str) -> bool:
    """Whether `text` is a plain decimal such as '-1.5', '.5', '2e-3': float() alone also takes 'nan', 'inf',
    '1_000', ' 7 ' and other scripts' digits, none of which a link of this app writes."""
    if not text.isascii():
        return False
    mantissa, e, exponent = text.lower().partition("e")
    whole, _, fraction = _unsigned(mantissa).partition(".")
    digits_ok = all(part == "" or _is_digits(part) for part in (whole, fraction)) and bool(whole or fraction)
    return digits_ok and (not e or _is_digits(_unsigned(exponent)))


def as_text(value: Any) -> str:
    """How a value is written in the URL: `true`/`false`, floats in their shortest form, else `str`."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:g}" if value == float(f"{value:g}") else repr(value)
    return str(value)


@dataclass(frozen=True)
class Choice:
    """A radio, select slider, selectbox or toggle: the value is one of `options`."""

    options: tuple
    default: Any

    def read(self, text: str) -> Any | Refused:
        """The option this URL text names, or why not."""
        return next((option for option in self.options if as_text(option) == text), NOT_AN_OPTION)

    def parse(self, text: str) -> Any | None:
        """The option this URL text names, or None."""
        return _value_or_none(self.read(text))

    def allows(self, value: Any) -> bool:
        return any(type(option) is type(value) and option == value for option in self.options)


# Knobs of every page: projector mode travels with a link, whichever page it opens (`explorer.ui.session`).
GLOBAL_KNOBS: dict[str, Choice] = {"projector": Choice((False, True), False)}
ROOM_PARAM = "room"  # the class's room code (issue 24): set by `explorer.ui.class_room` once the room took it


@dataclass(frozen=True)
class Range:
    """A slider or number input from `low` to `high` in steps of `step` (ints when all three are ints)."""

    low: float
    high: float
    step: float
    default: float

    @property
    def integer(self) -> bool:
        return all(isinstance(v, int) for v in (self.low, self.high, self.step, self.default))

    def read(self, text: str) -> float | int | Refused:
        """The value on the slider's grid this URL text names, or why not."""
        if not _is_decimal(text):
            return Refused("not a number")
        if self.integer and not _is_digits(_unsigned(text)):
            return Refused("not written as a whole number")
        value = self._whole(text) if self.integer else float(text)  # float(): '1e999' is inf, never an error
        if value is None or not self.low <= value <= self.high:
            return Refused(f"outside {as_text(self.low)}{'–' if self.low >= 0 else ' to '}{as_text(self.high)}")
        return value if self._on_steps(value) else Refused("not on the slider's steps")

    def parse(self, text: str) -> float | int | None:
        """The value on the slider's grid this URL text names, or None."""
        return _value_or_none(self.read(text))

    def _whole(self, text: str) -> int | None:
        """The integer `text` writes, or None when it has more digits than the larger bound (so it lies outside):
        int() refuses strings of over 4,300 digits, and such a number is no slider's value anyway."""
        digits = _unsigned(text).lstrip("0") or "0"
        if len(digits) > len(str(max(abs(self.low), abs(self.high)))):
            return None
        return int(text[0] + digits) if text[0] in "+-" else int(digits)

    def _on_steps(self, value: float | int) -> bool:
        if self.integer:  # exact for ints of any size, where a division into a float could overflow
            return (value - self.low) % self.step == 0
        steps = (value - self.low) / self.step
        return abs(steps - round(steps)) < 1e-6

    def allows(self, value: Any) -> bool:
        if isinstance(value, bool) or not isinstance(value, int if self.integer else float):
            return False
        # the bounds first: they refuse nan and inf, and they compare a huge int exactly (math.isfinite would
        # turn it into a float and overflow)
        return self.low <= value <= self.high and self._on_steps(value)


Knob = Choice | Range
Knobs = Mapping[str, Knob]


KEPT = "_kept_widget_values"  # widget key -> its value as the last run found it or the app set it


def set_widget(key: str, value: Any) -> None:
    """Set a widget's value from the app (a link, a preset, the lecturer's view, a kept value) before the widget
    is drawn in this run."""
    st.session_state[key] = value
    st.session_state.setdefault(KEPT, {})[key] = value


def keep(keys: Iterable[str]) -> None:
    """Keep these widgets' values through runs that do not draw them (a closed lazy tab, another page). Streamlit
    drops the state of a widget a run leaves out; writing the value back on every run keeps it (the documented
    way) and also resends a value the app set, in case the run after the write ended before drawing the widget.
    Except in the run that the browser's own move of the widget started: a written value goes back to the
    browser, and that run cut short by the next keypress would send the slider back to an older value (CI: three
    quick ArrowRight presses that ended a step short). A value found gone is set from a copy. Not for buttons."""
    kept = st.session_state.setdefault(KEPT, {})
    for key in keys:
        if key not in st.session_state:
            if key in kept:
                set_widget(key, kept[key])
        elif key in kept and kept[key] == st.session_state[key]:
            st.session_state[key] = kept[key]
        else:
            kept[key] = st.session_state[key]  # moved in the browser: the browser shows it already


def bind(knobs: Knobs) -> None:
    """Call before the page's widgets: keep the knobs' values, seed unset knobs from a valid URL value (a note
    names the refused ones), then write the URL, which drops them."""
    keep([key for key in knobs if key not in GLOBAL_KNOBS])  # the sidebar's toggle is drawn already, every run
    refused = seed_from_link(knobs)
    if refused:
        st.caption("Ignored in the link: " + "; ".join(f"`{key}={shown(text)}`: {why.reason}"
                                                       for key, text, why in refused))
    publish(knobs)


def seed_from_link(knobs: Knobs) -> list[tuple[str, str, Refused]]:
    """Set each knob this session has no value for yet from its URL value; the refused ones, with why."""
    params, refused = st.query_params, []
    for key, knob in knobs.items():
        if key not in st.session_state and key in params:
            text = params[key]
            value = knob.read(text)
            if isinstance(value, Refused):
                refused.append((key, text, value))
            else:
                set_widget(key, value)
    return refused


def shown(text: str, most: int = 24) -> str:
    """URL text as it can sit in a note's code span: cut short (a 5,000-digit number), no backticks or line
    breaks that would end the span."""
    text = "".join(c if c.isprintable() and c != "`" else "?" for c in text)
    return text if len(text) <= most else f"{text[:most]}… ({len(text):,} characters)"


def url_values(knobs: Knobs) -> dict[str, str]:
    """This session's knobs as URL text, those at their default left out."""
    values = {}
    for key, knob in knobs.items():
        if key in st.session_state:
            text = as_text(st.session_state[key])
            if text != as_text(knob.default):
                values[key] = text
    return values


def publish(knobs: Knobs) -> None:
    """Make the URL's query string exactly these knobs' values (other pages' knobs and bad values leave it)."""
    wanted = url_values(knobs)
    if st.session_state.get(ROOM_PARAM):  # the class's room this session joined: a reload stays in it
        wanted[ROOM_PARAM] = st.session_state[ROOM_PARAM]
    if st.query_params.to_dict() != wanted:
        st.query_params.from_dict(wanted)


def preset_values(knobs: Knobs, preset: Mapping[str, Any]) -> dict[str, Any]:
    """Every knob's value under a preset: the preset's, else the knob's default."""
    return {key: preset.get(key, knob.default) for key, knob in knobs.items()}


def _apply(key: str, named: Mapping[str, Mapping[str, Any]], knobs: Knobs) -> None:
    name = st.session_state.get(key)
    if name is None:  # the lit pill clicked again: the knobs stay, and so does the light
        return
    for knob_key, value in preset_values(knobs, named[name]).items():
        set_widget(knob_key, value)


def _matches(knobs: Knobs, preset: Mapping[str, Any]) -> bool:
    return all(as_text(st.session_state.get(key, knobs[key].default)) == as_text(value)
               for key, value in preset_values(knobs, preset).items())


def presets(page: str, named: Mapping[str, Mapping[str, Any]], knobs: Knobs) -> str | None:
    """Pills that set every knob of the page at once. A pill is lit while the knobs are exactly its preset (also
    when a link set them), and goes out when one moves."""
    key = f"preset_{page}"
    lit = next((name for name, preset in named.items() if _matches(knobs, preset)), None)
    if st.session_state.get(key) != lit:
        st.session_state[key] = lit  # before the pills exist in this run: allowed
    return st.pills("Presets", list(named), key=key, on_change=_apply, args=(key, named, knobs),
                    help="Sets every knob on this page at once. The address bar always holds a link to what "
                         "you see: share it, and it opens this view.")
