"""The trainer: in-memory batches, a divergence guard (a non-finite or exploding loss), and a background job
a page can poll.

A batch is one gather of shuffled rows of the training tensor, so a step does no per-sample
Python work (a `DataLoader` over a `TensorDataset` indexes and collates every sample).
The loss's knobs (beta, decoder_sigma, ...) are read at every step, so a slider moved while the
job runs acts on the next step. A run draws only from generators it owns (the batch order and the
loss's noise), never from torch's global one, which other sessions' threads share.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NoReturn

import torch
from torch import nn

from explorer.models.base import loss_knobs
from explorer.training import snapshots
from explorer.training.divergence import GOOD_LIMIT, GROWTH_LIMIT, LossScale, divergence_message

HISTORY_LIMIT = 5000  # metric rows kept per run; older rows are thinned out


@dataclass(frozen=True)
class TrainConfig:
    steps: int = 2000
    batch_size: int = 128
    lr: float = 1e-3
    seed: int = 0
    log_every: int = 20  # a history row every this many steps (means over them)
    eval_every: int = 200  # held-out metrics every this many steps (and at the end)
    eval_size: int = 1000  # held-out samples used for those metrics
    snapshot_every: int = 25  # how often the NaN guard's copy of good weights is refreshed
    kl_warmup_steps: int = 0  # beta ramps linearly from 0 to its value over these steps (0: off)
    tau_anneal_rate: float = 0.0  # r > 0: tau falls as annealed_tau(...) says (0: off)
    tau_min: float = 0.5


class Diverged(RuntimeError):
    """The loss became non-finite or grew by orders of magnitude (`divergence`); the weights were restored to the
    last good snapshot, and the message says so in words, with the likely cause."""


@dataclass
class RunState:
    step: int = 0
    history: list[dict] = field(default_factory=list)
    message: str = ""


def make_optimizer(model: nn.Module, lr: float) -> torch.optim.Adam:
    """torch's Adam (Kingma & Ba 2015), fused (one kernel call updates every parameter) where they share one CPU
    or CUDA device and a floating dtype, else foreach. Its step costs what a direct call of the private kernel
    did (255 vs 257 µs on the bench VAE's 650k weights, 4 % of a 7 ms step: BENCHMARKS.md), so no private API."""
    params = [p for p in model.parameters() if p.requires_grad]
    devices, dtypes = {p.device.type for p in params}, {p.dtype for p in params}
    fused = (len(devices) == 1 and devices <= {"cpu", "cuda"} and len(dtypes) == 1
             and next(iter(dtypes)).is_floating_point)
    return torch.optim.Adam(params, lr=lr, fused=fused, foreach=not fused)


def accepted_knobs(model: nn.Module, knobs: dict) -> dict:
    """The knobs this model's loss takes (its keyword arguments, `models.loss_knobs`); others (beta for an AE,
    say) are ignored."""
    taken = loss_knobs(model)
    return {name: value for name, value in knobs.items() if name in taken}


def annealed_tau(tau: float, step: int, rate: float, tau_min: float) -> float:
    """The Gumbel-softmax temperature in force at `step` when τ is annealed from the slider's τ:
    τ_t = max(min(τ_min, τ), τ · exp(−r · t)) (Jang et al. 2017 anneal τ · exp(−r t) down to a floor).

    Annealing only ever lowers τ: the floor is τ_min or the starting τ, whichever is lower, so a slider τ
    below τ_min stays where it was set instead of jumping up to τ_min at the first step.
    """
    return max(min(tau_min, tau), tau * math.exp(-rate * step))


class Trainer:
    """Steps a model on in-memory tensors. Not thread-safe by itself: `TrainingJob` adds that."""

    def __init__(self, model: nn.Module, x_train: torch.Tensor, config: TrainConfig = TrainConfig(),
                 knobs: dict | None = None, x_test: torch.Tensor | None = None,
                 eval_fn: Callable[[nn.Module], dict] | None = None):
        self.model, self.config = model, config
        self.device = next(model.parameters()).device
        self.x_train = x_train.to(self.device)
        self.x_test = None if x_test is None else x_test[: config.eval_size].to(self.device)
        self.knobs = dict(knobs or {})
        self.eval_fn = eval_fn  # extra held-out numbers at each evaluation (log p(x) and the gap, say)
        self.optimizer = make_optimizer(model, config.lr)
        self.generator = torch.Generator().manual_seed(config.seed)  # the order of batches
        # The loss's noise (reparameterization, Gumbel, codebook resets), on the model's device. Its own
        # generator with the same seed, as torch's global one was seeded before: a run draws the numbers it
        # drew then, and the shipped models' training recipe still holds.
        self.noise = torch.Generator(device=self.device).manual_seed(config.seed)
        self.state = RunState()
        self._epoch: torch.Tensor | None = None
        self._cursor = 0
        self._good = [p.detach().clone() for p in self.model.state_dict().values()]
        self._good_step = 0
        self._scale = LossScale()  # the loss's usual size, against which a blow-up is measured
        # the knobs as set by hand and the step count when they came in: a change is dated on the charts
        # (`_set_knob_values`) and the loss's usual size is measured afresh under it
        self._knobs_set, self._knobs_since = dict(self.knobs), 0
        self._sums: dict[str, float] = {}
        self._sum_steps = 0
        self._started = time.perf_counter()
        self.kept: snapshots.Kept | None = None  # a page's run keeps snapshots (`keep_snapshots`); pretraining not

    def _next_batch(self) -> torch.Tensor:
        n, b = self.x_train.shape[0], min(self.config.batch_size, self.x_train.shape[0])
        if self._epoch is None or self._cursor + b > n:
            self._epoch = torch.randperm(n, generator=self.generator).to(self.device)  # (N,) this epoch's order
            self._cursor = 0
        rows = self._epoch[self._cursor : self._cursor + b]
        self._cursor += b
        return self.x_train.index_select(0, rows)  # (B, D): one gather, no per-sample Python

    def step(self) -> dict[str, float]:
        """One optimizer step. Before it, the batch's loss is checked: non-finite, or over `GROWTH_LIMIT` times its
        usual size (`divergence.LossScale`), restores the last good weights and raises `Diverged`; the step is then
        neither taken nor recorded. The weights that passed are kept as good every `snapshot_every` steps: they
        are the ones this loss was computed with, so a restore never brings back weights whose loss was unseen."""
        self.model.train()
        terms = self.model.loss(self._next_batch(), generator=self.noise,
                                **accepted_knobs(self.model, self.step_knobs()))
        # one host sync for all terms (an .item() per term would wait once each)
        values = dict(zip(terms, torch.stack([t.detach() for t in terms.values()]).tolist(), strict=True))
        loss = values["loss"]
        if self.knobs != self._knobs_set:  # a knob moved by hand since the last step
            self._knobs_set, self._knobs_since = dict(self.knobs), self.state.step
            self._scale.reset()
        growth = self._scale.growth(loss)
        if not math.isfinite(loss) or growth > GROWTH_LIMIT:
            self._stop_diverged(loss)
        if self.state.step % self.config.snapshot_every == 0 and growth <= GOOD_LIMIT:
            self._snapshot_good()
        self._scale.update(loss)
        self.optimizer.zero_grad(set_to_none=True)
        terms["loss"].backward()
        self.optimizer.step()
        self.state.step += 1
        self._record(values)
        if self.kept is not None and self.kept.due(self.state.step):
            self.kept.add(self.snapshot())
        return values

    def keep_snapshots(self) -> None:
        """From now on keep snapshots along the run (`snapshots.Kept`), starting with this step's."""
        self.kept = snapshots.Kept(snapshots.snapshot_every(self.config.steps))
        self.kept.add(self.snapshot())

    def snapshot(self) -> snapshots.Snapshot:
        """Everything the next step reads, copied (`snapshots.Snapshot`)."""
        return snapshots.Snapshot(
            step=self.state.step, weights=snapshots.copied(self.model.state_dict()),
            optimizer=snapshots.optimizer_copy(self.optimizer), batch_rng=self.generator.get_state(),
            noise_rng=self.noise.get_state(), epoch=self._epoch, cursor=self._cursor, knobs=dict(self.knobs),
            knobs_set=dict(self._knobs_set), knobs_since=self._knobs_since, scale=copy.deepcopy(self._scale),
            sums=dict(self._sums), sum_steps=self._sum_steps, elapsed_s=time.perf_counter() - self._started)

    def restore(self, snapshot: snapshots.Snapshot, history: list[dict]) -> None:
        """Put this trainer where `snapshot` was taken: its weights, Adam's moments, generators, knobs and step count,
        its history `history`'s rows up to that step. The snapshot itself is left as it was (kept for more)."""
        with torch.no_grad():
            self.model.load_state_dict(snapshot.weights)
        self.optimizer.load_state_dict(copy.deepcopy(snapshot.optimizer))
        self.generator.set_state(snapshot.batch_rng)
        self.noise.set_state(snapshot.noise_rng)
        self._epoch, self._cursor = snapshot.epoch, snapshot.cursor  # the epoch's order is never written in place
        self.knobs, self._knobs_set = dict(snapshot.knobs), dict(snapshot.knobs_set)
        self._knobs_since, self._scale = snapshot.knobs_since, copy.deepcopy(snapshot.scale)
        self._sums, self._sum_steps = dict(snapshot.sums), snapshot.sum_steps
        self._started = time.perf_counter() - snapshot.elapsed_s
        self.state = RunState(step=snapshot.step, history=[dict(r) for r in history if r["step"] <= snapshot.step])
        self._snapshot_good()

    def _stop_diverged(self, loss: float) -> NoReturn:
        """Restore the last good weights and raise `Diverged`, saying what the loss did and naming the knobs in
        force: the learning rate, and the decoder σ (a Gaussian decoder's) and β where the loss takes them."""
        self._restore_good()
        knobs = accepted_knobs(self.model, self.step_knobs())
        config = self.model.config  # every LatentModel has one (models.base); a likelihood only some
        sigma = None
        if getattr(config, "likelihood", None) == "gaussian":
            sigma = float(knobs["decoder_sigma"] if knobs.get("decoder_sigma") is not None else config.decoder_sigma)
        raise Diverged(divergence_message(
            step=self.state.step + 1, loss=loss, previous=self._scale.previous, usual=self._scale.usual,
            restored_step=self._good_step, lr=self.config.lr, sigma=sigma, beta=knobs.get("beta")))

    def step_knobs(self) -> dict:
        """The knobs for the next step, after the schedules. KL warm-up scales beta by
        min(1, step / warm-up) (Bowman et al. 2016; Sønderby et al. 2016), so the encoder first
        learns to be useful; annealing lowers the Gumbel-softmax temperature (`annealed_tau`), from smooth
        gradients towards one-hot codes."""
        knobs, step, config = dict(self.knobs), self.state.step, self.config
        if config.kl_warmup_steps > 0 and "beta" in knobs:
            knobs["beta"] = knobs["beta"] * min(1.0, step / config.kl_warmup_steps)
        if config.tau_anneal_rate > 0 and "tau" in knobs:
            knobs["tau"] = annealed_tau(knobs["tau"], step, config.tau_anneal_rate, config.tau_min)
        return knobs

    def _snapshot_good(self) -> None:
        # the weights that produced the last finite loss; copied in place, no allocation (a loop of copy_ costs what
        # torch's private _foreach_copy_ did: 77-84 vs 74-77 µs per step on the bench VAE, BENCHMARKS.md)
        with torch.no_grad():
            for good, current in zip(self._good, self.model.state_dict().values(), strict=True):
                good.copy_(current)
        self._good_step = self.state.step

    def _restore_good(self) -> None:
        with torch.no_grad():
            for target, good in zip(self.model.state_dict().values(), self._good, strict=False):
                target.copy_(good)
        # Adam's moments may hold the inf that caused the blow-up: start them afresh
        self.optimizer = make_optimizer(self.model, self.config.lr)

    def _record(self, values: dict[str, float]) -> None:
        for name, value in values.items():
            self._sums[name] = self._sums.get(name, 0.0) + value
        self._sum_steps += 1
        step = self.state.step
        if step % self.config.log_every and step % self.config.eval_every:
            return
        row = {"step": step, "time_s": time.perf_counter() - self._started}
        row.update({name: total / self._sum_steps for name, total in self._sums.items()})
        row.update(self._knob_values())
        row.update(self._set_knob_values())
        if step % self.config.eval_every == 0 or step == self.config.steps:
            row.update(self.evaluate())
        self._sums, self._sum_steps = {}, 0
        self.state.history.append(row)
        if len(self.state.history) > HISTORY_LIMIT:
            self.state.history = self.state.history[::2]

    def _knob_values(self) -> dict[str, float]:
        # the knobs as they stand, schedules applied: the τ curve and the warm-up ramp are drawn from these
        return {k: float(v) for k, v in self.step_knobs().items() if isinstance(v, (int, float))}

    def _set_knob_values(self) -> dict[str, float]:
        """The knobs as set by hand, schedules not applied (`knob_beta`, ...), and `knobs_since`: the step count when
        they were last changed (the steps after it trained with them). A page marks their changes on its charts
        (`figures.knob_rules`); `beta` under warm-up and `tau` annealed move every row and are no change of a knob."""
        return {**{f"knob_{k}": float(v) for k, v in self._knobs_set.items() if isinstance(v, (int, float))},
                "knobs_since": self._knobs_since}

    @torch.no_grad()
    def record_start(self) -> None:
        """Step 0 in the history, before any training: the untrained model's loss terms on the first `eval_size`
        training rows (the knobs as set) and its held-out numbers, so a page draws the model it is about to train.
        Its noise comes from a generator of its own: the run then draws the numbers it would have drawn."""
        noise = torch.Generator(device=self.device).manual_seed(self.config.seed + 1)
        self.model.eval()
        terms = self.model.loss(self.x_train[: self.config.eval_size], generator=noise,
                                **accepted_knobs(self.model, self.step_knobs()))
        row = {"step": 0, "time_s": 0.0, **{name: t.item() for name, t in terms.items()}, **self._knob_values(),
               **self._set_knob_values()}
        self.state.history.append(row | self.evaluate(noise))

    @torch.no_grad()
    def evaluate(self, generator: torch.Generator | None = None) -> dict[str, float]:
        """Held-out means of the loss terms, prefixed `test_` (the ELBO with beta = 1)."""
        if self.x_test is None:
            return {}
        self.model.eval()
        knobs = accepted_knobs(self.model, {**self.knobs, "beta": 1.0})
        terms = self.model.loss(self.x_test, generator=generator or self.noise, **knobs)
        results = {f"test_{name}": t.item() for name, t in terms.items() if name != "loss"}
        if self.eval_fn is not None:
            results.update(self.eval_fn(self.model))
        return results

    def run(self, steps: int | None = None) -> RunState:
        """Train for `steps` (default: the config's) more steps; `Diverged` propagates."""
        for _ in range(self.config.steps if steps is None else steps):
            self.step()
        return self.state
