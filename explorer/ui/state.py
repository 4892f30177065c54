"""Shareable state: a page's knobs live in the address bar, so a link reproduces the view; presets set them all.

A page declares its knobs, widget key -> allowed values (`Choice`, `Range`), and calls `bind(knobs)` before its
widgets. For a knob that has no value in this session yet (a pasted link opens a new session), a URL value that
is one of the widget's allowed values seeds `st.session_state[key]`, which the widget with that key then shows;
anything else in the URL is ignored and dropped. Then the session's values are written to `st.query_params`,
defaults left out. Writing at the top of a run is enough: a moved widget's new value is in `st.session_state`
before the script reruns. What a page changes later in the run (a "new draw" button) it publishes again with
`publish(knobs)` at its end.

`presets(page, named, knobs)` offers named settings of every knob at once. A choice acts in the pills' on_change
callback, which runs before the next script run: there (and only there) a widget's value may be set through
`st.session_state`. Knobs a preset does not name go back to their defaults, so a preset always shows the same.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import streamlit as st


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

    def parse(self, text: str) -> Any | None:
        """The option this URL text names, or None."""
        return next((option for option in self.options if as_text(option) == text), None)

    def allows(self, value: Any) -> bool:
        return any(type(option) is type(value) and option == value for option in self.options)


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

    def parse(self, text: str) -> float | int | None:
        """The value on the slider's grid this URL text names, or None."""
        try:
            value = int(text) if self.integer else float(text)
        except ValueError:
            return None
        return value if self.allows(value) else None

    def allows(self, value: Any) -> bool:
        if isinstance(value, bool) or not isinstance(value, int if self.integer else float) or not math.isfinite(value):
            return False
        steps = (value - self.low) / self.step
        return self.low <= value <= self.high and abs(steps - round(steps)) < 1e-6


Knob = Choice | Range
Knobs = Mapping[str, Knob]


def keep(keys: Iterable[str]) -> None:
    """Keep these widgets' values through runs that do not draw them (a closed lazy tab): Streamlit drops the
    state of a widget a run leaves out, and writing the value back makes it the session's own (the documented
    way). Not for buttons, whose state cannot be written."""
    for key in keys:
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


def bind(knobs: Knobs) -> None:
    """Call before the page's widgets: keep the knobs' values, seed unset knobs from a valid URL value, then write
    the URL."""
    keep(knobs)
    params = st.query_params
    for key, knob in knobs.items():
        if key not in st.session_state and key in params:
            value = knob.parse(params[key])
            if value is not None:
                st.session_state[key] = value
    publish(knobs)


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
        st.session_state[knob_key] = value


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
    return st.pills("Presets for the lecture", list(named), key=key, on_change=_apply, args=(key, named, knobs),
                    help="Sets every knob on this page at once. The address bar always holds a link to what "
                         "you see: share it, and it opens this view.")
