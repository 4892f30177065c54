"""Time travel and A|B on the training panel (issue 23, item 6): a scrubber over the steps a run kept
(`explorer.training.snapshots`), the page's picture drawn at a kept step, "Branch from here" (a new run from those
weights with the knobs as set now, the old one kept beside it), and both runs' curves on one chart.

The panel drives one run, `{key}_job`; after a branch that is the branch, and the run it came from is its parent,
`{key}_parent_job`, kept in the browser's run list too, so a reload finds both.
"""

from __future__ import annotations

import streamlit as st

from explorer.figures.curves import compare_runs
from explorer.figures.knob_rules import SYMBOLS, knob_changes
from explorer.training.jobs import TrainingJob
from explorer.ui import figure_export, runs

NOW = "now"
COMPARED = (("recon", "kl"), ("nats_per_token",), ("loss",))  # the first pair of terms both runs' rows have
UNITS = {"nats_per_token": "nats per token"}  # else per image: every panel trains on images


def scrubber(key: str, job: TrainingJob) -> TrainingJob:
    """The run to draw: `job` itself, or a paused copy of it at the kept step the slider picks (made once per run and
    step). No slider until the run has kept a step before its current one."""
    options = [step for step in job.trainer.kept.steps if step < job.step] + [NOW]
    if len(options) < 2:
        return job
    if st.session_state.get(f"{key}_scrub") not in options:
        st.session_state[f"{key}_scrub"] = NOW  # first shown, a new run, a reset: the live model
    picked = st.select_slider("Show the model at step", options, key=f"{key}_scrub",
                              format_func=lambda step: step if step == NOW else f"{step:,}",
                              help="The steps this run kept. The picture shows the model as it was there; "
                                   "the run itself goes on.")
    if picked == NOW:
        return job
    view = st.session_state.get(f"{key}_view")
    if not (view and view[0] is job and view[1] == picked):
        view = (job, picked, job.at_snapshot(picked))
        st.session_state[f"{key}_view"] = view
    return view[2]


def branch_button(key: str, job: TrainingJob, view: TrainingJob, knobs: dict) -> None:
    """Under the scrubber at a kept step: a new run from there with the knobs as set now; `job` stays, to compare.
    While a kept step is shown, the knobs wait for the branch: the running run keeps its own."""

    def on_branch() -> None:
        view.set_knobs(**knobs)
        st.session_state[f"{key}{runs.PARENT}_job"], st.session_state[f"{key}_job"] = job, view
        st.session_state[f"{key}_scrub"] = NOW
        st.session_state.pop(f"{key}_view", None)
        runs.keep(key + runs.PARENT, job)
        runs.keep(key, view)
        view.resume()
        if job.state == "paused":  # A and B train on side by side
            job.resume()

    st.button(f"Branch from step {view.step:,}", icon=":material/call_split:", key=f"{key}_branch", width="stretch",
              on_click=runs.guarded(key, on_branch),
              help="Trains a new run from these weights with the knobs as set now. This run stays: both runs' "
                   "curves are drawn on one chart.")


def parent(key: str, token: str) -> TrainingJob | None:
    """The run the panel's run was branched from, if any (this session's, or the one this browser keeps)."""
    return st.session_state.get(f"{key}{runs.PARENT}_job") or runs.attach(token, key + runs.PARENT)


def run_label(letter: str, history: list[dict]) -> str:
    """"A: β 1" from the knobs the run's last row was trained with."""
    last = history[-1] if history else {}
    knobs = [f"{SYMBOLS.get(k[5:], k[5:])} {v:g}" for k, v in last.items() if k.startswith("knob_")]
    return f"{letter}: {', '.join(knobs)}" if knobs else letter


def compare(key: str, job: TrainingJob, parent_job: TrainingJob | None) -> None:
    """A|B: the parent's and the branch's curves on one chart, a rule where they part."""
    if parent_job is None or job.branched_at is None:
        return
    a, b = parent_job.history, job.history
    keys = next((pair for pair in COMPARED if all(k in a[-1] and k in b[-1] for k in pair)), ())
    if not keys:
        return
    start = job.branched_at or 0
    changes = [label for step, label in knob_changes(b) if step == start]
    title = f"A | B: the runs part at step {start:,}" + (f" ({changes[0]})" if changes else "")
    own = [r for r in b if r["step"] >= start]  # B's rows before `start` are A's: drawn once, as A's
    fig = compare_runs([(run_label("A", a), a), (run_label("B", b), own)], keys, start,
                       f"B branches{': ' + changes[0] if changes else ''}", title,
                       unit=UNITS.get(keys[0], "nats per image"))
    figure_export.chart(fig, width="stretch", key=f"{key}_compare")
