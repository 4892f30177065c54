"""How long a run will take on this machine, said before it starts (issue 23, item 8).

Before Train, a few steps of the ready job's model are timed on a throwaway copy (`time_job`: its own trainer,
optimizer and generators, so the run itself and every global random state are untouched), with one held-out
evaluation; the run's length then follows from its steps and evaluations (`run_seconds`). Once a run has
taken steps, its own history gives the rate (`measured_rate`), and Continue is estimated from that. The timing
is made on the cores as they are now: a run started while another trains is timed sharing them. A timing is
kept per model shape for `TIMING_TTL_S`, so rebuilding the ready job (a new seed, a knob) costs nothing, while
a later page sees the machine as it then is.
"""

from __future__ import annotations

import copy
import dataclasses
import threading
import time

from explorer.runtime.threads import torch_threads
from explorer.training.jobs import JOB_THREADS, TrainingJob
from explorer.training.train import Diverged, Trainer

TIMED_STEPS = 3  # steps timed after one warm-up step (the first allocates, and k-means-initialises a codebook)
TIMING_TTL_S = 120.0  # a timing is reused this long for the same model shape, batch and device
_timings: dict[tuple, tuple[float, float, float]] = {}  # key -> (made at, s per step, s per evaluation)
_timings_lock = threading.Lock()


@dataclasses.dataclass(frozen=True)
class Timing:
    seconds_per_step: float
    seconds_per_eval: float = 0.0


def run_seconds(steps: int, eval_every: int, timing: Timing) -> float:
    """Seconds for `steps` training steps with a held-out evaluation every `eval_every` steps (and at the end)."""
    evals = steps // max(1, eval_every) + (steps % max(1, eval_every) != 0)
    return steps * timing.seconds_per_step + evals * timing.seconds_per_eval


def duration_text(seconds: float, steps_per_s: float) -> str:
    """Short, for the panel's narrow column: 'about 20 s here (~40 steps/s)'."""
    if seconds < 10:
        said = f"{max(1, round(seconds))} s"
    elif seconds < 90:
        said = f"{5 * round(seconds / 5)} s"
    else:
        said = f"{seconds / 60:.0f} min" if seconds < 600 else f"{seconds / 3600:.1f} h"
    rate = f"{steps_per_s:.0f}" if steps_per_s >= 10 else f"{steps_per_s:.1f}"
    return f"about {said} here (~{rate} steps/s)"


def measured_rate(history: list[dict]) -> float | None:
    """Steps per second over the recorded rows after step 0 (each row has `step` and `time_s`), or None when
    fewer than two rows were recorded. A paused spell counts as time, so a paused run looks slower."""
    rows = [r for r in history if r.get("step", 0) > 0 and "time_s" in r]
    if len(rows) < 2 or rows[-1]["time_s"] <= rows[0]["time_s"]:
        return None
    return (rows[-1]["step"] - rows[0]["step"]) / (rows[-1]["time_s"] - rows[0]["time_s"])


def time_trainer(trainer: Trainer, steps: int = TIMED_STEPS) -> Timing:
    """Seconds per step of `trainer` (after one warm-up step) and per held-out evaluation, on one torch thread
    as the jobs train. The trainer is used up: give it a copy of the model."""
    with torch_threads(JOB_THREADS):
        trainer.step()
        started = time.perf_counter()
        for _ in range(steps):
            trainer.step()
        per_step = (time.perf_counter() - started) / steps
        started = time.perf_counter()
        trainer.evaluate()
        return Timing(per_step, time.perf_counter() - started if trainer.x_test is not None else 0.0)


def timing_key(trainer: Trainer) -> tuple:
    """What a step's cost depends on: the model's class and config, the batch, the data's shape, the device."""
    model = trainer.model
    return (type(model).__name__, repr(model.config), trainer.config.batch_size,
            tuple(trainer.x_train.shape), str(trainer.device), trainer.x_test is not None)


def time_job(trainer: Trainer, now: float | None = None) -> Timing | None:
    """The timing of a run like `trainer`'s, made on a copy of its model and data (cached `TIMING_TTL_S`); None
    when the copy diverged at once (the run will say so itself)."""
    key, now = timing_key(trainer), time.monotonic() if now is None else now
    with _timings_lock:
        kept = _timings.get(key)
    if kept is not None and now - kept[0] < TIMING_TTL_S:
        return Timing(kept[1], kept[2])
    config = dataclasses.replace(trainer.config, steps=10**9, log_every=10**9, eval_every=10**9)
    copy_ = Trainer(copy.deepcopy(trainer.model), trainer.x_train, config, dict(trainer.knobs), trainer.x_test)
    try:
        timing = time_trainer(copy_)
    except Diverged:
        return None
    with _timings_lock:
        _timings[key] = (now, timing.seconds_per_step, timing.seconds_per_eval)
    return timing


def duration_note(job: TrainingJob, continue_steps: int) -> str | None:
    """What the panel says of a job's duration: before it starts, the whole run, timed now; after a finished or
    stopped run, what Continue's `continue_steps` more would take at the rate it trained; else None."""
    if job.state == "ready":
        timing = time_job(job.trainer)
        if timing is None:
            return None
        seconds = run_seconds(job.config.steps, job.config.eval_every, timing)
        return f"Run: {duration_text(seconds, 1.0 / timing.seconds_per_step)}"
    rate = measured_rate(job.history) if job.state in ("finished", "stopped") else None
    if not rate:
        return None
    return f"Continue: {duration_text(continue_steps / rate, rate)}"
