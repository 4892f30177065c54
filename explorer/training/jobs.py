"""Background training jobs that a page starts, polls, pauses, resumes and stops.

A job owns its model (a private copy: the shared cached models are never trained) and trains it
in a daemon thread, one `Trainer.step` at a time under a lock, so the page can read the model
between steps (`job.read(fn)`) and change knobs (`job.set_knobs`) that act on the next step.
At most `MAX_RUNNING` jobs train at once in a process: torch's thread pool is shared, and more
jobs would only slow each other down.
"""

from __future__ import annotations

import atexit
import copy
import dataclasses
import threading
import time
from collections.abc import Callable

import torch
from torch import nn

from explorer.runtime.threads import torch_threads
from explorer.training.train import Diverged, TrainConfig, Trainer

MAX_RUNNING = 2
JOB_THREADS = 1
ALIVE_CHECK_EVERY = 50
PAUSED_ALIVE_CHECK_S = 1.0  # a paused job asks this often whether its session still exists
EXIT_WAIT_S = 5.0  # at interpreter exit, how long each job may take to finish its step
_running: set[TrainingJob] = set()
_running_lock = threading.Lock()


class QueueFull(RuntimeError):
    """Too many jobs are training in this process; try again when one finishes."""


class Job:
    """The state machine that every background run shares: a daemon thread runs `work()`, which calls
    `proceed()` between its units of work (a step, a model of a sweep) to wait while paused and to learn whether
    to go on. States: 'ready' -> 'running' <-> 'paused' -> 'finished' | 'stopped' | 'diverged' | 'failed'."""

    thread_name, failure_label = "latent-lab-job", "The run"

    def __init__(self, alive: Callable[[], bool] | None = None):
        self.state, self.message = "ready", ""
        self._alive = alive  # polled now and then: a job whose browser session ended stops
        self._ended = "Stopped: the browser session that started this run has ended."
        self._resume, self._stop = threading.Event(), threading.Event()
        self._resume.set()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self.state = "running"
        self._thread = threading.Thread(target=self._loop, name=self.thread_name, daemon=True)
        self._thread.start()

    def pause(self) -> None:
        if self.state == "running":
            self._resume.clear()
            self.state = "paused"

    def resume(self) -> None:
        """Go on; a run only stepped by hand so far (`TrainingJob.advance`) starts its thread here."""
        if self.state == "paused" and self._thread is None:
            self.start()
        elif self.state == "paused":
            self.state = "running"
            self._resume.set()

    def set_alive(self, alive: Callable[[], bool], ended: str) -> None:
        """From now on ask `alive` whether to go on, and say `ended` when it says no (a run kept in a browser's run
        list, `explorer.training.registry`, outlives the session that started it)."""
        self._alive, self._ended = alive, ended

    def stop(self, wait: float = 5.0) -> None:
        self._stop.set()
        self._resume.set()
        if self._thread is None and self.state == "paused":  # stepped by hand, never started: nothing to join
            self.state = "stopped"
        self.join(wait)

    def join(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def done(self) -> bool:
        return self.state in ("finished", "stopped", "diverged", "failed")

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def proceed(self) -> bool:
        """Between two units of work: wait while paused (waking now and then, so a paused job whose tab was
        closed still ends), then whether to go on."""
        while not self._resume.wait(PAUSED_ALIVE_CHECK_S):
            self._check_alive()
        return not self._stop.is_set()

    def work(self) -> None:
        raise NotImplementedError

    def finish(self) -> None:
        """After `work`, whatever its outcome, in the job's thread."""

    def _loop(self) -> None:
        try:
            self.work()
            self.state = "stopped" if self._stop.is_set() else "finished"
        except Diverged as err:
            self.state, self.message = "diverged", str(err)
        except Exception as err:  # noqa: BLE001 - a page shows it instead of a dead thread
            self.state, self.message = "failed", f"{self.failure_label} failed: {type(err).__name__}: {err}"
        finally:
            self.finish()

    def _check_alive(self) -> None:
        if self._alive is not None and not self._alive():
            self.message = self._ended
            self._stop.set()
            self._resume.set()


class TrainingJob(Job):
    """One model trained step by step (`Job`'s states), holding one of the process's `MAX_RUNNING` slots."""

    thread_name, failure_label = "latent-lab-training", "Training"

    def __init__(self, model: nn.Module, x_train: torch.Tensor, config: TrainConfig = TrainConfig(),
                 knobs: dict | None = None, x_test: torch.Tensor | None = None, device: str = "cpu",
                 copy_model: bool = True, alive: Callable[[], bool] | None = None):
        super().__init__(alive)
        model = copy.deepcopy(model) if copy_model else model
        for p in model.parameters():
            p.requires_grad_(True)  # a copy of a write-protected shared model must be trainable
        self.model = model.to(device)
        self.config = config
        self.trainer = Trainer(self.model, x_train, config, knobs, x_test)
        self.trainer.record_start()  # a page draws the untrained model, its loss at step 0, before Train
        self.trainer.keep_snapshots()  # a page scrubs back along the run and branches from a kept step
        self._lock = threading.Lock()
        self.pace: float | None = None  # steps per second in slow motion (a hall watches each step); None: flat out
        self._mirror: nn.Module | None = None  # the copy `peek` reads, made at its first call
        self._mirror_lock = threading.Lock()  # one peek at a time uses the copy
        self.branched_at: int | None = None  # a branch (`at_snapshot`): the parent's step it started from

    def start(self) -> None:
        with _running_lock:
            if len(_running) >= MAX_RUNNING:
                raise QueueFull(f"{len(_running)} models are already training on this server "
                                f"(at most {MAX_RUNNING} at once). Try again when one finishes.")
            _running.add(self)
        self._stop.clear()
        self._resume.set()
        super().start()

    def advance(self, steps: int) -> None:
        """`steps` steps now, in the caller's thread (Step ×1, ×10 in a page's callback): from the untrained model or
        a paused run, never past the run's length. The run is then paused there."""
        if self.state not in ("ready", "paused"):
            return
        try:
            with self._lock:
                for _ in range(min(steps, self.config.steps - self.step)):
                    self.trainer.step()
        except Diverged as err:
            self.state, self.message = "diverged", str(err)
            return
        self.state = "paused"

    def extend(self, steps: int) -> None:
        """Continue a finished or stopped run for `steps` more: the same model, optimizer state and history, its step
        count going on from where it stopped."""
        if self.state not in ("finished", "stopped"):
            return
        self.config = dataclasses.replace(self.config, steps=self.step + steps)
        self.trainer.config = self.config
        self.message = ""
        self.start()

    def at_snapshot(self, step: int) -> TrainingJob:
        """A new run, paused where this one was at its kept `step` (`snapshots`): the same data, config and history up
        to there, and the snapshots kept up to there. Step, Resume or Continue train it on from there: a branch."""
        snapshot = self.trainer.kept.at(step)
        with self._lock:
            history, model = list(self.trainer.state.history), copy.deepcopy(self.model)
        trainer = self.trainer
        branch = TrainingJob(model, trainer.x_train, self.config, trainer.knobs, x_test=trainer.x_test,
                             device=trainer.device, copy_model=False, alive=self._alive)
        branch.trainer.eval_fn = trainer.eval_fn
        branch.trainer.restore(snapshot, history)
        branch.trainer.kept = dataclasses.replace(
            trainer.kept, snapshots=[s for s in trainer.kept.snapshots if s.step <= step])
        branch.state, branch.branched_at = "paused", step
        return branch

    def set_knobs(self, **knobs) -> None:
        with self._lock:
            self.trainer.knobs.update(knobs)

    # --- what a page polls ---------------------------------------------------------------
    @property
    def step(self) -> int:
        return self.trainer.state.step

    @property
    def progress(self) -> float:
        return min(1.0, self.step / max(1, self.config.steps))

    @property
    def history(self) -> list[dict]:
        with self._lock:
            return list(self.trainer.state.history)

    def read(self, fn: Callable[[nn.Module], object]):
        """fn(model) between two steps, without gradients (draw the latent map while training); the run waits
        meanwhile. On one torch thread: a page's 2 OpenMP threads spin on the cores the jobs train on."""
        with self._lock, torch.no_grad(), torch_threads(JOB_THREADS):
            return fn(self.model)

    def peek(self, fn: Callable[[nn.Module], object]):
        """fn(a copy of the model as it stands between two steps), without gradients, while the run trains on:
        for a slow reading (the VQ-VAE page's usage, PCA plane and token grid took 0.2-0.6 s, a stop of the run
        every poll). Only the copy of the weights (~1 ms) holds the run's lock; fn may put the copy in eval mode."""
        with self._mirror_lock:
            with self._lock:
                if self._mirror is None:
                    self._mirror = copy.deepcopy(self.model)
                else:
                    copy_weights(self.model, self._mirror)
            with torch.no_grad(), torch_threads(JOB_THREADS):
                return fn(self._mirror)

    # --- the thread ----------------------------------------------------------------------
    def work(self) -> None:
        # One intra-op thread per job. With two, a job shares 2 cores with the browser and the
        # server, and OpenMP's spinning threads slow each step ~8x (measured in the server:
        # 7-12 steps/s with 2 threads, ~70 with 1); it also lets MAX_RUNNING jobs share the cores.
        torch.set_num_threads(JOB_THREADS)
        while self.step < self.config.steps and self.proceed():
            with self._lock:
                self.trainer.step()
            if self.step % ALIVE_CHECK_EVERY == 0:
                self._check_alive()
            if self.pace:
                time.sleep(1.0 / self.pace)
        if self.stopping:
            with self._lock:  # a stopped run still ends with held-out numbers
                self.trainer.state.history.append({"step": self.step, **self.trainer.evaluate()})

    def finish(self) -> None:
        self.model.eval()
        with _running_lock:
            _running.discard(self)


@atexit.register
def _stop_all_at_exit() -> None:
    """Stop every job before the interpreter finalizes: a daemon thread cut off inside a torch kernel
    at exit aborts the process ("terminate called without an active exception", SIGABRT), e.g. when a
    server is stopped while a session trains."""
    with _running_lock:
        running = list(_running)
    for job in running:
        job._stop.set()
        job._resume.set()
    for job in running:
        job.join(EXIT_WAIT_S)


def copy_weights(source: nn.Module, target: nn.Module) -> None:
    """Copy `source`'s parameters and buffers into `target`, a deep copy of it, in place (no allocation)."""
    with torch.no_grad():
        for into, value in zip(target.state_dict().values(), source.state_dict().values(), strict=True):
            into.copy_(value)


def running_count() -> int:
    with _running_lock:
        return len(_running)


def wait_until(predicate: Callable[[], bool], timeout: float = 10.0, interval: float = 0.01) -> bool:
    """Poll `predicate` until it holds or `timeout` passes (tests and scripts)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()
