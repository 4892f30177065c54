"""The steps at which a student moved a knob during a run, as vertical rules on its live charts ("β 1 → 8"), so a
change of the curves is read against the change that caused it.

A trainer's history row carries the knobs as set by hand (`knob_beta`, `knob_decoder_sigma`, ...) and `knobs_since`,
the step count when they were last changed (`training.train.Trainer._set_knob_values`). Only those count: the
values in force (`beta`, `tau`) also move under KL warm-up and τ annealing, at every row, and a schedule is not a
student's change.
"""

from __future__ import annotations

import plotly.graph_objects as go

from explorer.figures import INK

PREFIX = "knob_"
SYMBOLS = {  # a knob's name in a history -> what the lecture calls it
    "beta": "β",
    "decoder_sigma": "σ",
    "tau": "τ",
    "free_bits": "λ",
    "commitment_beta": "commitment β",
    "hard": "straight-through",
}
SWITCHES = {"hard"}  # knobs that are on or off (recorded as 1.0 / 0.0)
LABEL_ROWS = 4  # labels of rules close together are stacked over this many rows, then start again at the top


def _value(name: str, value: float) -> str:
    if name in SWITCHES:
        return "on" if value else "off"
    return f"{value:g}"


def knob_changes(history: list[dict]) -> list[tuple[int, str]]:
    """(step, label) for each change of a hand-set knob between two rows of `history`, in order: the step is the
    row's `knobs_since` (the step count when the new value came in; the previous row's step where a row lacks it),
    the label "β 1 → 8". Knobs changed in the same window share one rule ("β 1 → 8, σ 0.1 → 0.5"). Rows without
    the knob (a stopped run's last evaluation) are skipped; a value set and set back within one logging window
    leaves no trace in the rows and no rule."""
    last: dict[str, float] = {}
    changes: dict[int, list[str]] = {}
    previous_step = 0
    for row in history:
        for key, value in row.items():
            if not key.startswith(PREFIX):
                continue
            name = key[len(PREFIX):]
            if key in last and value != last[key]:
                step = int(row.get("knobs_since", previous_step))
                changes.setdefault(step, []).append(
                    f"{SYMBOLS.get(name, name)} {_value(name, last[key])} → {_value(name, value)}")
            last[key] = value
        previous_step = row.get("step", previous_step)
    return [(step, ", ".join(labels)) for step, labels in sorted(changes.items())]


def add_knob_rules(fig: go.Figure, changes: list[tuple[int, str]]) -> go.Figure:
    """A dashed grey vertical rule across the whole plot (every y-axis of it) at each change's step, its label at
    the top beside it; labels of successive rules step down a row, so two changes close together stay readable."""
    for i, (step, label) in enumerate(changes):
        fig.add_shape(type="line", x0=step, x1=step, xref="x", y0=0, y1=1, yref="paper", layer="above",
                      line=dict(color=INK, width=2, dash="dash"), name=f"knob change: {label}")
        fig.add_annotation(x=step, xref="x", y=1 - 0.08 * (i % LABEL_ROWS), yref="paper", text=label,
                           showarrow=False, xanchor="left", yanchor="top", xshift=3, font=dict(color=INK))
    return fig


def with_knob_rules(fig: go.Figure, history: list[dict]) -> go.Figure:
    """`fig` (a chart against the step) with the rules of `history`'s knob changes (`knob_changes`)."""
    return add_knob_rules(fig, knob_changes(history))


def mark_on_trail(fig: go.Figure, changes: list[tuple[int, str]], steps: list[int], trail) -> go.Figure:
    """A chart whose axes are not the step (the R–D plane, a run's trail of evaluated points `trail` (T, 2) at
    `steps`): each change's label with its step, an arrow to the trail's last point evaluated at or before it, where
    the trail turns under the new knob."""
    for step, label in changes:
        before = [i for i, s in enumerate(steps) if s <= step]
        if before:
            x, y = trail[before[-1]]
            fig.add_annotation(x=float(x), y=float(y), text=f"{label} (step {step})", showarrow=True, arrowhead=2,
                               arrowcolor=INK, ax=40, ay=-40, font=dict(color=INK))
    return fig
