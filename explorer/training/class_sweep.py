"""One point of the class sweep (issue 24, item 4): what a student's session trains for the lecturer's plot.

The lecturer starts a sweep over β, decoder σ or seeds (`PRESETS`); the room hands each student's session a claim
(`explorer.classroom.sweeps`: {"sweep_id", "point_id", "knob", "value", "model"}). Nothing in a claim is trusted:
`point_spec` checks it against the known small models and bounded steps, then `PointJob` trains the β page's own
sweep model (`explorer.training.sweep`: a 10-unit VAE, hidden 256, on sprites) as a normal `TrainingJob` and
diagnoses it on held-out data with the same functions, so a class point and a β-page point are the same numbers:
rate R = E KL(q(z|x) ‖ p(z)) and distortion D = −E log p(x|z) in nats per image, the held-out ELBO = −(R + D).

Seeds: a seed sweep's value is the seed; any other point draws its weights, batches and noise from the model's
base seed plus how many earlier points of the sweep have the same value, so repeating a value (β 1, 1, 4, 4) gives
the spread over seeds, and distinct values start from the same weights, as the β page's sweep does.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from explorer import data
from explorer.runtime.threads import torch_threads
from explorer.training import sweep
from explorer.training.jobs import JOB_THREADS, QueueFull, TrainingJob
from explorer.training.train import Diverged

MODELS = {"sprites-vae": "sprites"}  # model name -> its dataset: the β page's sweep model (`sweep.SweepConfig`)
POINT_STEPS = 500  # steps a point trains: ~5 s alone on one core; 10 points, 2 at a time, ~1 min (BENCHMARKS.md)
MAX_STEPS = 3000  # the most steps a claim may ask for
KNOB_RANGES = {"beta": (0.0, 16.0), "sigma": (0.01, 2.0), "seed": (0, 2**31 - 1)}
SYMBOLS = {"beta": "β", "sigma": "σ", "seed": "seed"}
RESULT_NAMES = ("rate", "distortion", "elbo", "squared_error", "active_units", "mig", "seconds", "steps", "seed",
                "diverged")


class PointRefused(ValueError):
    """A claim this code will not train (an unknown model, steps out of bounds, a value out of range)."""


@dataclass(frozen=True)
class PointSpec:
    """A checked point: train the model `name` on `dataset` for `steps` steps at β, with decoder σ (None: the
    dataset's Bernoulli decoder), from `seed`."""

    sweep_id: str
    point_id: int
    knob: str
    value: float
    name: str
    dataset: str
    steps: int
    beta: float
    sigma: float | None
    seed: int


def sweep_model(steps: int = POINT_STEPS, beta: float = 1.0, seed: int = 0) -> dict:
    """The model spec a lecturer's sweep sends (`Classroom.start_sweep`'s "model")."""
    return {"name": "sprites-vae", "steps": int(steps), "beta": float(beta), "seed": int(seed)}


def presets(steps: int = POINT_STEPS) -> dict[str, dict]:
    """The sweeps a lecturer may start: label -> spec for `Classroom.start_sweep`."""
    betas = [0.1, 0.5, 1.0, 4.0, 8.0]
    return {
        "β 0.1…8 (6 points)": {"knob": "beta", "values": [0.1, 0.3, 1.0, 2.0, 4.0, 8.0], "model": sweep_model(steps)},
        "β 0.1…8, 2 seeds each (10 points)": {"knob": "beta", "values": sorted(betas * 2), "model": sweep_model(steps)},
        "σ 0.05…1 (5 points, β = 1)": {"knob": "sigma", "values": [0.05, 0.1, 0.2, 0.5, 1.0],
                                      "model": sweep_model(steps)},
        "5 seeds at β = 1": {"knob": "seed", "values": [0, 1, 2, 3, 4], "model": sweep_model(steps)},
        "β 1 against β 8 (2 points)": {"knob": "beta", "values": [1.0, 8.0], "model": sweep_model(steps)},  # a pair
    }


def _number(value: Any, what: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise PointRefused(f"{what} is not a finite number.")
    if not low <= value <= high:
        raise PointRefused(f"{what} must lie between {low:g} and {high:g}.")
    return float(value)


def _whole(value: Any, what: str, low: int, high: int) -> int:
    number = _number(value, what, low, high)
    if number != int(number):
        raise PointRefused(f"{what} must be a whole number.")
    return int(number)


def point_spec(claim: Any, values: list | None = None) -> PointSpec:
    """A claim, checked; `values` are the sweep's values (`sweep_status`), to count earlier repeats of this one."""
    if not isinstance(claim, dict) or set(claim) != {"sweep_id", "point_id", "knob", "value", "model"}:
        raise PointRefused("A point is a claim with sweep_id, point_id, knob, value and model.")
    knob, model = claim["knob"], claim["model"]
    if knob not in KNOB_RANGES:
        raise PointRefused(f"A class sweep runs over one of {', '.join(KNOB_RANGES)}.")
    if not isinstance(model, dict) or not set(model) <= {"name", "steps", "beta", "seed"}:
        raise PointRefused("A point's model has at most the keys name, steps, beta and seed.")
    if model.get("name") not in MODELS:
        raise PointRefused(f"A class sweep trains one of {', '.join(MODELS)}.")
    point_id = _whole(claim["point_id"], "The point id", 0, 10_000)
    steps = _whole(model.get("steps", POINT_STEPS), "The steps", 1, MAX_STEPS)
    beta = _number(model.get("beta", 1.0), "β", *KNOB_RANGES["beta"])
    seed = _whole(model.get("seed", 0), "The seed", *KNOB_RANGES["seed"])
    if knob == "seed":
        value = seed = _whole(claim["value"], "The seed", *KNOB_RANGES["seed"])
    else:
        value = _number(claim["value"], {"beta": "β", "sigma": "σ"}[knob], *KNOB_RANGES[knob])
        seed = min(seed + repeats_before(values, point_id), KNOB_RANGES["seed"][1])
    return PointSpec(str(claim["sweep_id"])[:64], point_id, knob, value, model["name"], MODELS[model["name"]], steps,
                     value if knob == "beta" else beta, value if knob == "sigma" else None, seed)


def repeats_before(values: list | None, point_id: int) -> int:
    """How many points before `point_id` have its value (0 without the sweep's values)."""
    if not values or not 0 <= point_id < len(values):
        return 0
    return sum(1 for v in values[:point_id] if v == values[point_id])


def config_of(spec: PointSpec) -> sweep.SweepConfig:
    """The β page's sweep config for a point: its model, steps and seed; a Gaussian decoder when σ is swept."""
    return sweep.SweepConfig(betas=(spec.beta,), steps=spec.steps, seed=spec.seed,
                             likelihood="gaussian" if spec.sigma is not None else None,
                             decoder_sigma=spec.sigma if spec.sigma is not None else 0.1)


class PointJob(TrainingJob):
    """A class point trained as a normal bounded `TrainingJob` (a slot of the process's `MAX_RUNNING`), then
    diagnosed on held-out data in the same thread; `result` holds its numbers once finished."""

    thread_name = "latent-lab-class-point"

    def __init__(self, spec: PointSpec, train: data.Dataset, test: data.Dataset, device: str = "cpu", alive=None):
        config = config_of(spec)
        model = sweep.build_model(train, config)
        super().__init__(model, train.x, sweep.train_config(config), sweep.knobs_for(config, spec.beta),
                         device=device, copy_model=False, alive=alive)
        self.spec, self.test, self.result = spec, test, None
        self._started = time.perf_counter()

    def work(self) -> None:
        self._started = time.perf_counter()
        diverged = False
        try:
            super().work()
        except Diverged:
            diverged = True  # the weights were restored to the last good step: still a model with numbers
        if self.stopping:
            return
        with self._lock, torch_threads(JOB_THREADS):
            self.result = point_result(self, diverged)


def point_result(job: PointJob, diverged: bool) -> dict[str, float]:
    """The numbers a point submits (`RESULT_NAMES`): held-out R, D, ELBO (nats per image), squared error (sum over
    pixels per image), active units, MIG, seconds, steps, seed, diverged (0 or 1)."""
    spec = job.spec
    numbers = sweep.diagnose(job.model, job.test, spec.sigma, seed=spec.seed)
    result = {name: float(numbers[name]) for name in ("rate", "distortion", "elbo", "squared_error", "active_units")}
    if "mig" in numbers:
        result["mig"] = float(numbers["mig"])
    result.update(seconds=time.perf_counter() - job._started, steps=float(job.step), seed=float(spec.seed),
                  diverged=float(diverged))
    return {name: value for name, value in result.items() if math.isfinite(value)}


def summarise(status: dict | None) -> list[dict]:
    """The done points grouped by value (a seed sweep: one group), each with n and the mean and standard deviation
    (ddof 1; 0 for one point) of rate, distortion and −ELBO (nats per image), in the order of first appearance."""
    if not status:
        return []
    groups: dict[Any, list[dict]] = {}
    for point in status["points"]:
        if point["state"] == "done" and point["result"]:
            groups.setdefault("seeds" if status["knob"] == "seed" else point["value"], []).append(point["result"])
    summary = []
    for value, results in groups.items():
        row = {"value": value, "n": len(results)}
        for name, sign in (("rate", 1.0), ("distortion", 1.0), ("elbo", -1.0)):
            numbers = np.array([sign * r[name] for r in results if name in r], dtype=float)
            label = "neg_elbo" if name == "elbo" else name
            row[label] = float(numbers.mean()) if len(numbers) else math.nan
            row[f"{label}_sd"] = float(numbers.std(ddof=1)) if len(numbers) > 1 else 0.0
        summary.append(row)
    return summary


def counts(status: dict | None) -> dict[str, int]:
    """Points waiting, training and done."""
    tally = {"waiting": 0, "training": 0, "done": 0}
    for point in (status or {}).get("points", []):
        tally[point["state"]] = tally.get(point["state"], 0) + 1
    return tally



class Helper:
    """A student's session's part in the class sweep, with no Streamlit: each `tick` (a poll of the page) claims a
    point, starts it as a `PointJob` (waiting while the server's training slots are full), keeps the claim fresh
    while it trains, submits its numbers when it is done, and claims the next. The room is reached only through
    the callables a tick is given, so a test drives it with a `Classroom` and a fake clock."""

    def __init__(self, make_job: Callable[[PointSpec], PointJob]):
        self.make_job = make_job
        self.job: PointJob | None = None
        self.submitted = 0  # points this session gave the class
        self.error = ""  # why it stopped helping (a failed run, a refused claim)

    def tick(self, status: dict | None, claim: Callable[[], dict | None], submit: Callable[[int, dict], None],
             helping: bool = True) -> str:
        """One poll: `status` is the room's `sweep_status` (None: no sweep), `claim()` the room's `claim_point` for
        this session, `submit(point_id, numbers)` its `submit_result`. Returns a line for the student."""
        job = self.job
        if status is None or (job is not None and job.spec.sweep_id != status["sweep_id"]):
            self._drop()  # no sweep, or the lecturer started another one
            return ""
        if job is not None and job.result is not None:
            self.job = None  # submitted or refused, this point is over for this session
            submit(job.spec.point_id, job.result)
            self.submitted += 1
        elif job is not None and job.done:
            self.error, self.job = job.message or f"The point ended {job.state}.", None
        elif job is not None:
            return self._keep(claim)
        if not helping or self.error or status["done"] == status["total"]:
            return ""
        return self._next(status, claim)

    def _keep(self, claim: Callable[[], dict | None]) -> str:
        """Renew the claim (a sign of life) and start the job when a slot is free."""
        held = claim()
        if held is None or (held["sweep_id"], held["point_id"]) != (self.job.spec.sweep_id, self.job.spec.point_id):
            self._drop()  # the point went to someone else after a long silence
            return "Your point went to another student; asking for another."
        if self.job.state == "ready":
            try:
                self.job.start()
            except QueueFull:
                return "Waiting for a free training slot on the server…"
        return f"Training {SYMBOLS[self.job.spec.knob]} = {self.job.spec.value:g} for the class"

    def _next(self, status: dict, claim: Callable[[], dict | None]) -> str:
        held = claim()
        if held is None:
            return "Every point is taken: waiting for the others."
        try:
            self.job = self.make_job(point_spec(held, [point["value"] for point in status["points"]]))
        except PointRefused as err:
            self.error = f"This point cannot be trained here: {err}"
            return ""
        return self._keep(lambda: held)

    def _drop(self) -> None:
        if self.job is not None and not self.job.done:
            self.job.stop(wait=0.0)
        self.job = None

    @property
    def progress(self) -> float:
        return 0.0 if self.job is None else self.job.progress
