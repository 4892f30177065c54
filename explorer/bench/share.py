"""`python -m explorer bench --training-share` (issue 23, item 8): two sessions training at once, against each alone,
and the time each panel's default run takes to reach its teaching point (`explorer.training.teaching`).

A session is what the server runs for one open training panel: a `TrainingJob` with the panel's default settings,
and the page's poll once a second, reading what its live view reads from the model (`POLLS`). Two sessions share one
process, as two browsers share the server. The machine's speed drifts, so each pair is measured round-robin: each
session alone, then both, `PHASE_S` seconds a phase, the order rotating over `ROUNDS`; a ratio (pair ÷ solo) is
taken within a round, and the medians are reported. Browsers and Streamlit's own work are not in it: on a real
server they take their share of the same cores.
"""

from __future__ import annotations

import dataclasses
import os
import platform
import statistics
import threading
import time
from collections.abc import Callable

import torch

from explorer import data, models
from explorer.analysis import vq
from explorer.maths import latent
from explorer.models.gumbel import code_views
from explorer.runtime import devices
from explorer.store import zoo
from explorer.training import estimate, teaching, tokens
from explorer.training.jobs import TrainingJob
from explorer.training.train import TrainConfig

PHASE_S, SETTLE_S, ROUNDS, POLL_S = 3.0, 0.3, 3, 1.0
VQ_POLL_IMAGES = 500  # held-out images the VQ-VAE page's live view reads each poll (its USAGE_IMAGES)
TEACHING_TIMEOUT_S = 120.0
Poll = Callable[[TrainingJob], object]


@dataclasses.dataclass
class Data:
    train: torch.Tensor
    test: torch.Tensor
    codes_train: torch.Tensor
    codes_test: torch.Tensor
    device: str


def load(device: str) -> Data:
    train, test = data.load("mnist", "train").x, data.load("mnist", "test").x
    shipped = zoo.load("mnist-vqvae")
    return Data(train, test, tokens.encode_codes(shipped, train), tokens.encode_codes(shipped, test), device)


# --- the panels' default runs (as explorer/ui/views builds them) and what their live views read ---------------

def vae_2d(d: Data, steps: int = 2000) -> tuple[TrainingJob, Poll]:
    model = models.build_seeded("vae", None, 0, x_dim=784, z_dim=2, image_shape=(28, 28), hidden=(512, 256))
    config = TrainConfig(steps=steps, lr=2e-3, log_every=20, eval_every=250)
    job = TrainingJob(model, d.train, config, {"beta": 1.0}, x_test=d.test, device=d.device, copy_model=False)
    return job, lambda j: j.read(lambda m: latent.encode_means(m, d.test[:600].to(d.device)))


def vq_vae(d: Data, codebook_size: int = 64, steps: int = 500) -> tuple[TrainingJob, Poll]:
    model = models.build_seeded("vqvae", None, 0, x_dim=784, image_shape=(28, 28), codebook_size=codebook_size,
                                **vq.architecture((28, 28)))
    config = TrainConfig(steps=steps, lr=2e-3, log_every=10, eval_every=100)
    job = TrainingJob(model, d.train, config, {"commitment_beta": 0.25}, x_test=d.test, device=d.device,
                      copy_model=False)
    x = d.test[:VQ_POLL_IMAGES].to(d.device)
    return job, lambda j: j.peek(lambda m: (vq.codebook_usage(m.eval(), x), vq.codebook_plane(m, x),
                                            vq.token_grid(m, x[0])))


def categorical(d: Data, steps: int = 1000) -> tuple[TrainingJob, Poll]:
    model = models.build_seeded("gumbel", None, 0, x_dim=784, image_shape=(28, 28), groups=20, categories=10,
                                hidden=(512, 256))
    config = TrainConfig(steps=steps, lr=2e-3, log_every=20, eval_every=100, tau_min=0.5)
    job = TrainingJob(model, d.train, config, {"tau": 1.0, "hard": False}, x_test=d.test, device=d.device,
                      copy_model=False)
    x = d.test[:1].to(d.device)
    return job, lambda j: j.peek(lambda m: code_views(m.eval(), x, 1.0, 0))


def token_prior(d: Data, steps: int = tokens.LIVE_PRIOR_TRAIN.steps) -> tuple[TrainingJob, Poll]:
    prior = tokens.prior_for(zoo.load("mnist-vqvae"), 0)
    config = dataclasses.replace(tokens.LIVE_PRIOR_TRAIN, steps=steps)
    job = TrainingJob(prior, d.codes_train, config, x_test=d.codes_test, device=d.device, copy_model=False)
    return job, lambda j: j.history  # its live view draws the curves only


SESSIONS = {"vae_2d": vae_2d, "vq_vae": vq_vae, "categorical_vae": categorical, "token_prior": token_prior}
PARTNERS = {"vae_2d": "vq_vae", "vq_vae": "vae_2d", "categorical_vae": "vq_vae", "token_prior": "vq_vae"}


class Session:
    """A job that trains on without end, and its page's poll in a thread of its own, both on while `on()`."""

    def __init__(self, build: Callable[..., tuple[TrainingJob, Poll]], d: Data):
        self.job, self.poll = build(d, steps=10**7)
        self._polling = threading.Event()
        self._ended = threading.Event()
        self.job.start()
        self.job.pause()
        threading.Thread(target=self._poll_loop, daemon=True).start()

    def _poll_loop(self) -> None:
        while not self._ended.wait(POLL_S):
            if self._polling.is_set():
                self.job.history  # noqa: B018 - the page's copy of the rows, as the fragment takes it
                self.poll(self.job)

    def on(self, running: bool) -> None:
        (self.job.resume if running else self.job.pause)()
        (self._polling.set if running else self._polling.clear)()

    def end(self) -> None:
        self._ended.set()
        self.job.stop()


def rates(sessions: list[Session], seconds: float) -> list[float]:
    """Steps per second of each session over `seconds`, after SETTLE_S for the phase to start."""
    time.sleep(SETTLE_S)
    before, started = [s.job.step for s in sessions], time.perf_counter()
    time.sleep(seconds)
    elapsed = time.perf_counter() - started
    return [(s.job.step - b) / elapsed for s, b in zip(sessions, before, strict=True)]


def one_round(a: Session, b: Session, order: int) -> dict[str, float]:
    """One round: a alone, b alone, both (in a rotated order); steps/s of each."""
    phases = [("a", [a]), ("b", [b]), ("pair", [a, b])]
    found = {}
    for name, sessions in phases[order % 3:] + phases[: order % 3]:
        for s in sessions:
            s.on(True)
        measured = rates(sessions, PHASE_S)
        for s in sessions:
            s.on(False)
        if name == "pair":
            found["a_pair"], found["b_pair"] = measured
        else:
            found[f"{name}_solo"] = measured[0]
    return found


def pair(name: str, partner: str, d: Data) -> dict:
    """`name` beside `partner`: each one's solo and two-session steps/s and their ratio, medians over ROUNDS."""
    a, b = Session(SESSIONS[name], d), Session(SESSIONS[partner], d)
    try:
        rounds = [one_round(a, b, i) for i in range(ROUNDS)]
    finally:
        a.end()
        b.end()
    ratio_a = statistics.median(r["a_pair"] / r["a_solo"] for r in rounds)
    ratio_b = statistics.median(r["b_pair"] / r["b_solo"] for r in rounds)
    med = {key: round(statistics.median(r[key] for r in rounds), 1) for key in rounds[0]}
    return {"partner": partner, "solo_steps_per_s": med["a_solo"], "two_session_steps_per_s": med["a_pair"],
            "ratio": round(ratio_a, 2), "partner_solo_steps_per_s": med["b_solo"],
            "partner_two_session_steps_per_s": med["b_pair"], "partner_ratio": round(ratio_b, 2)}


# --- the time to each default run's teaching point -----------------------------------------------------------

def teaching_runs(d: Data) -> dict[str, tuple[Callable[[], tuple[TrainingJob, Poll]], Callable, bool]]:
    """name -> (build the default run, its check from the finished history, whether it needs the run's end)."""
    unigram = teaching.unigram_entropy(d.codes_train, zoo.load("mnist-vqvae").config.codebook_size)
    return {
        "vq_vae_k64": (lambda: vq_vae(d), lambda h: teaching.codebook_in_use(64), False),
        "codebook_collapse_k512": (lambda: vq_vae(d, 512), lambda h: teaching.codebook_collapsed(512), False),
        "categorical_vae": (lambda: categorical(d), lambda h: teaching.elbo_settled(teaching.final_elbo(h)), True),
        "token_prior": (lambda: token_prior(d), lambda h: teaching.beats_unigram(unigram), False),
    }


def teaching_time(build: Callable[[], tuple[TrainingJob, Poll]], check: Callable, needs_end: bool) -> dict:
    """Train a default run alone, its page polling, until its teaching point (or its end when the check needs
    the final value); the estimate shown before Train against what it took."""
    job, poll = build()
    said = estimate.time_job(job.trainer)
    estimated = estimate.run_seconds(job.config.steps, job.config.eval_every, said) if said else None
    started = time.perf_counter()
    job.start()
    while not job.done and time.perf_counter() - started < TEACHING_TIMEOUT_S:
        time.sleep(POLL_S)
        poll(job)
        if not needs_end and teaching.reached(job.history, check(job.history)):
            break
    job.stop()
    history = job.history
    row = teaching.reached(history, check(history))
    return {"teaching_point_s": None if row is None else round(row["time_s"], 1),
            "teaching_point_step": None if row is None else row["step"], "steps": job.config.steps,
            "estimated_run_s": None if estimated is None else round(estimated, 1),
            "run_s": round(history[-1]["time_s"], 1) if job.state == "finished" else None,
            "steps_per_s": round(estimate.measured_rate(history) or 0.0, 1)}


def device_name(device: str) -> str:
    if device == "cuda":
        return f"CUDA: {torch.cuda.get_device_name()}"
    return f"CPU: {platform.processor() or platform.machine()}, {os.cpu_count()} cores"


def load_average() -> str:
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "unknown"


def training_share(device: str | None = None) -> dict:
    """The pairs (each session beside its `PARTNERS` one) and the teaching points, on `device` (default: auto)."""
    device = device or devices.resolve("auto")
    d = load(device)
    results = {"device": device_name(device), "load_average_before": load_average(),
               "phase_s": PHASE_S, "rounds": ROUNDS}
    results["pairs"] = {name: pair(name, partner, d) for name, partner in PARTNERS.items()}
    results["teaching_points"] = {name: teaching_time(*spec) for name, spec in teaching_runs(d).items()}
    results["load_average_after"] = load_average()
    return results


def main(json_path: str = "bench_share.json") -> dict:
    import json

    results = training_share()
    with open(json_path, "w") as f:
        json.dump(results, f, indent=2)
    print(f"device {results['device']}; load average {results['load_average_before']} -> "
          f"{results['load_average_after']}")
    for name, row in results["pairs"].items():
        print(f"  {name:16s} solo {row['solo_steps_per_s']:7.1f}  beside {row['partner']:10s} "
              f"{row['two_session_steps_per_s']:7.1f} steps/s  ratio {row['ratio']:.2f}")
    for name, row in results["teaching_points"].items():
        print(f"  {name:24s} teaching point at {row['teaching_point_s']} s (step {row['teaching_point_step']}); "
              f"estimated run {row['estimated_run_s']} s, took {row['run_s']} s")
    print(f"written to {json_path}")
    return results
