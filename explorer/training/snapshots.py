"""Time travel along a run (issue 23, item 6): a few snapshots kept as it trains, a run restored at any of them,
and a branch that trains on from one with other knobs.

A snapshot holds everything the next step reads: the weights, Adam's moments, both generators (the batch order
and the loss's noise), the epoch's order and cursor, the knobs and the loss's usual size. So a branch taken with
the same knobs retraces its parent exactly, and two branches from one snapshot (β = 1 and β = 8 from the same
step-500 weights) differ by their knobs alone.

Which steps are kept: step 0 and every `every` steps, `every` about an eighth of the run (a round number). A run
keeps at most `max_kept` snapshots, from a byte budget (`BUDGET_BYTES`, between `MIN_KEPT` and `MAX_KEPT`); past it
every other one is dropped (step 0 stays) and `every` doubles, so the kept steps stay evenly spread however long
Continue makes the run. The 2-D MNIST VAE (1.07 M weights, three copies with Adam's two moments: 12.8 MB) keeps 5
(steps 0, 500, …, 2,000 of its default run); the sprites and 8×8 models keep 12.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import torch

ROUND_STEPS = (10, 25, 50, 100, 250, 500, 1000, 2500, 5000)
SHARE = 8  # a run of n steps keeps one snapshot about every n / SHARE steps
BUDGET_BYTES = 64 * 2**20  # what one run's snapshots may hold
MIN_KEPT, MAX_KEPT = 4, 12


def snapshot_every(steps: int) -> int:
    """A round number of steps near `steps / SHARE`: the kept steps read 0, 250, 500, … on a 2,000-step run."""
    target = max(1, steps // SHARE)
    return min(ROUND_STEPS, key=lambda every: abs(every - target))


@dataclass(frozen=True)
class Snapshot:
    """A run's whole state after `step` steps (`Trainer.snapshot`); the history is the parent's rows up to `step`."""

    step: int
    weights: dict[str, torch.Tensor]
    optimizer: dict
    batch_rng: torch.Tensor
    noise_rng: torch.Tensor
    epoch: torch.Tensor | None
    cursor: int
    knobs: dict
    knobs_set: dict
    knobs_since: int
    scale: object
    sums: dict
    sum_steps: int
    elapsed_s: float

    @property
    def nbytes(self) -> int:
        tensors = list(self.weights.values()) + [t for s in self.optimizer.get("state", {}).values()
                                                 for t in s.values() if isinstance(t, torch.Tensor)]
        return sum(t.numel() * t.element_size() for t in tensors)

    @property
    def full_nbytes(self) -> int:
        """What a snapshot of this run holds once Adam has its two moments (none before the first step)."""
        return 3 * sum(t.numel() * t.element_size() for t in self.weights.values())


def copied(tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {name: t.detach().clone() for name, t in tensors.items()}


def optimizer_copy(optimizer: torch.optim.Optimizer) -> dict:
    """Adam's state as a new dict of new tensors (`state_dict` returns the live ones)."""
    return copy.deepcopy(optimizer.state_dict())


@dataclass
class Kept:
    """The snapshots of one run, oldest first, thinned to `max_kept` (see the module's docstring)."""

    every: int
    max_kept: int = MAX_KEPT
    snapshots: list[Snapshot] = field(default_factory=list)

    def due(self, step: int) -> bool:
        return step % self.every == 0 and all(s.step != step for s in self.snapshots)

    def add(self, snapshot: Snapshot) -> None:
        if not self.snapshots:  # the first tells the size: the budget sets how many fit
            self.max_kept = max(MIN_KEPT, min(MAX_KEPT, BUDGET_BYTES // max(1, snapshot.full_nbytes)))
        self.snapshots.append(snapshot)
        while len(self.snapshots) > self.max_kept:
            self.every *= 2
            self.snapshots = [s for s in self.snapshots if s.step % self.every == 0]

    @property
    def steps(self) -> list[int]:
        return [s.step for s in self.snapshots]

    def at(self, step: int) -> Snapshot:
        for snapshot in self.snapshots:
            if snapshot.step == step:
                return snapshot
        raise KeyError(f"no snapshot kept at step {step}; kept: {self.steps}")
