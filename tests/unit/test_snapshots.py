"""Time travel (issue 23, item 6): snapshots kept along a run, a run restored at one, a branch trained on from it."""

import pytest
import torch
from test_train import toy_images

from explorer import models
from explorer.figures.knob_rules import knob_changes
from explorer.training import jobs, snapshots
from explorer.training.jobs import TrainingJob
from explorer.training.train import TrainConfig

SMALL = dict(x_dim=16, z_dim=2, hidden=(32,), image_shape=(4, 4))


@pytest.fixture(autouse=True)
def no_leftover_jobs():
    yield
    for job in list(jobs._running):
        job.stop()


def stepped_job(steps=80, beta=1.0, length=None) -> TrainingJob:
    """A run of `length` steps (default `steps`) stepped by hand `steps` steps, in this thread: no timing, the same
    numbers every time."""
    model = models.build_seeded("vae", None, 3, **SMALL)
    config = TrainConfig(steps=length or steps, batch_size=32, lr=3e-3, seed=3, log_every=5, eval_every=20)
    job = TrainingJob(model, toy_images(), config, {"beta": beta}, x_test=toy_images(64, seed=1))
    job.advance(steps)
    return job


def weights(job: TrainingJob) -> list[torch.Tensor]:
    return [p.detach().clone() for p in job.model.state_dict().values()]


@pytest.mark.parametrize(("steps", "every"), [(80, 10), (250, 25), (2000, 250), (5000, 500), (3, 10)])
def test_kept_steps_are_round_and_about_an_eighth_of_the_run(steps, every):
    assert snapshots.snapshot_every(steps) == every


def test_a_run_keeps_step_zero_and_evenly_spread_steps():
    job = stepped_job()
    assert job.trainer.kept.steps == [0, 10, 20, 30, 40, 50, 60, 70, 80]


def test_past_its_budget_a_run_thins_its_snapshots_evenly_and_keeps_step_zero():
    kept = snapshots.Kept(every=10, max_kept=4)
    kept.snapshots = []  # `add` sizes max_kept from the first snapshot: set the cap after it
    job = stepped_job(steps=0)
    first = job.trainer.snapshot()
    kept.add(first)
    kept.max_kept = 4
    for step in range(10, 101, 10):
        if kept.due(step):
            kept.add(snapshots.Snapshot(**{**first.__dict__, "step": step}))
    assert kept.steps[0] == 0 and len(kept.steps) <= 4
    gaps = {b - a for a, b in zip(kept.steps, kept.steps[1:], strict=False)}
    assert len(gaps) == 1, kept.steps  # evenly spread


def test_the_budget_sets_how_many_snapshots_fit():
    job = stepped_job(steps=20)
    buffers = sum(b.numel() * b.element_size() for b in job.model.buffers())
    params = sum(p.numel() for p in job.model.parameters())
    step_count = len(list(job.model.parameters())) * 4  # Adam's step count per tensor, float32
    assert job.trainer.kept.at(20).nbytes == 3 * 4 * params + buffers + step_count  # weights, two moments
    assert job.trainer.kept.at(0).full_nbytes == 3 * (4 * params + buffers)  # at step 0 Adam has no moments yet
    assert job.trainer.kept.max_kept == snapshots.MAX_KEPT  # a small model: the most


def test_a_branch_with_the_same_knobs_retraces_its_parent_exactly():
    parent = stepped_job()
    branch = parent.at_snapshot(40)
    assert (branch.step, branch.state) == (40, "paused")
    assert branch.history == [r for r in parent.history if r["step"] <= 40]
    branch.advance(40)
    assert branch.step == 80
    for mine, theirs in zip(weights(branch), weights(parent), strict=True):
        torch.testing.assert_close(mine, theirs, rtol=0, atol=0)
    strip = lambda rows: [{k: v for k, v in r.items() if k != "time_s"} for r in rows]  # noqa: E731
    assert strip(branch.history) == strip(parent.history)


def test_a_branch_with_another_beta_differs_and_its_chart_marks_the_branch_step():
    parent = stepped_job()
    branch = parent.at_snapshot(40)
    branch.set_knobs(beta=8.0)
    branch.advance(40)
    assert knob_changes(branch.history) == [(40, "β 1 → 8")]
    assert knob_changes(parent.history) == []
    assert branch.history[-1]["kl"] < parent.history[-1]["kl"]  # β = 8 squeezes the rate


def test_snapshots_are_copies_that_later_training_leaves_alone():
    job = stepped_job(steps=20, length=40)
    kept = job.trainer.kept.at(20)
    before = {name: t.clone() for name, t in kept.weights.items()}
    job.resume()
    jobs.wait_until(lambda: job.done, timeout=30)
    assert job.step == 40
    for name, tensor in kept.weights.items():
        torch.testing.assert_close(tensor, before[name], rtol=0, atol=0)


def test_a_branch_keeps_the_snapshots_up_to_its_step_only():
    parent = stepped_job()
    branch = parent.at_snapshot(30)
    assert branch.trainer.kept.steps == [0, 10, 20, 30]
    with pytest.raises(KeyError, match="no snapshot kept at step 35"):
        parent.at_snapshot(35)
