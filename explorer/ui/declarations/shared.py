"""Knobs that several pages declare alike: switches, seeds, held-out indices and the θ sliders of a categorical
distribution (the Straight-through and Exercises pages)."""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from explorer.ui.state import Range

OFF_ON = (False, True)
SEED = Range(0, 10**6, 1, 0)
# The smallest held-out sets the number inputs may index: MNIST on the offline split (1,000 images) and the toy
# sets (1,000 points). Larger indices (possible with the full MNIST download) are ignored in a link.
HELD_OUT_MAX = 999
OWN = "Train your own"  # the label of the live tab on the pages that train

LOGIT = Range(-3.0, 3.0, 0.1, 0.0)  # one θ slider
DEFAULT_LOGITS = (1.0, 0.0, -0.5, 0.5, -1.0)  # the θ sliders' starting values, as many as the most categories


def logit_knobs(prefix: str, n: int) -> dict[str, Range]:
    """The knobs of `n` θ sliders keyed `<prefix>_0` …"""
    return {f"{prefix}_{i}": replace(LOGIT, default=DEFAULT_LOGITS[i]) for i in range(n)}


def logit_sliders(prefix: str, n: int, columns: list) -> tuple[float, ...]:
    """`n` θ sliders, one per column, with the range and defaults of `logit_knobs`."""
    knobs = logit_knobs(prefix, n)
    return tuple(columns[i].slider(f"θ{i + 1}", knob.low, knob.high, knob.default, knob.step, key=key)
                 for i, (key, knob) in enumerate(knobs.items()))


def slider(label: str, key: str, knob: Range, where=st, **options) -> float:
    """A slider whose range, step and default are its knob's."""
    return where.slider(label, knob.low, knob.high, knob.default, knob.step, key=key, **options)
