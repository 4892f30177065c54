"""The duration estimate a training panel shows before Train (issue 23, item 8): pure arithmetic and wording, a
timing made on a copy that leaves the run untouched, and what the panel's note says in each state. No speed
thresholds: the machines are noisy, speed targets live in `python -m explorer bench --training-share`."""

import torch

from explorer import models
from explorer.training import estimate
from explorer.training.estimate import Timing, duration_text, measured_rate, run_seconds
from explorer.training.jobs import TrainingJob, wait_until
from explorer.training.train import TrainConfig


def tiny_job(steps: int = 30) -> TrainingJob:
    model = models.build_seeded("vae", None, 0, x_dim=16, z_dim=2, hidden=(8,))
    x = torch.rand(64, 16, generator=torch.Generator().manual_seed(0))
    config = TrainConfig(steps=steps, batch_size=16, log_every=5, eval_every=10)
    return TrainingJob(model, x, config, {"beta": 1.0}, x_test=x, copy_model=False)


def test_run_seconds_counts_steps_and_evaluations():
    timing = Timing(seconds_per_step=0.01, seconds_per_eval=0.1)
    assert run_seconds(500, 100, timing) == 500 * 0.01 + 5 * 0.1
    assert run_seconds(450, 100, timing) == 450 * 0.01 + 5 * 0.1  # 4 evaluations, then one at the end
    assert run_seconds(10, 100, Timing(0.5)) == 5.0


def test_duration_text_is_short_and_rounded():
    assert duration_text(21.0, 40.2) == "about 20 s here (~40 steps/s)"
    assert duration_text(4.2, 8.33) == "about 4 s here (~8.3 steps/s)"
    assert duration_text(0.2, 500.0) == "about 1 s here (~500 steps/s)"
    assert duration_text(130.0, 8.0) == "about 2 min here (~8.0 steps/s)"
    assert len(duration_text(59.0, 123.0)) <= 32  # the knobs column is ~300 px wide


def test_measured_rate_from_the_rows_after_step_zero():
    rows = [{"step": 0, "time_s": 0.0}, {"step": 20, "time_s": 1.5}, {"step": 40, "time_s": 2.0},
            {"step": 60, "time_s": 2.5}]
    assert measured_rate(rows) == 40 / 1.0
    assert measured_rate(rows[:2]) is None
    assert measured_rate([]) is None


def test_timing_a_ready_job_leaves_it_untouched_and_is_kept(monkeypatch):
    monkeypatch.setattr(estimate, "_timings", {})
    job = tiny_job()
    weights = {k: v.clone() for k, v in job.model.state_dict().items()}
    history = job.history
    timing = estimate.time_job(job.trainer, now=100.0)
    assert timing is not None and timing.seconds_per_step > 0 and timing.seconds_per_eval > 0
    assert job.step == 0 and job.state == "ready" and job.history == history
    assert all(torch.equal(v, weights[k]) for k, v in job.model.state_dict().items())
    assert estimate.time_job(job.trainer, now=100.0 + estimate.TIMING_TTL_S / 2) == timing  # kept, not re-timed


def test_the_note_says_the_run_before_train_and_continue_after_it():
    job = tiny_job(steps=40)
    assert estimate.duration_note(job, 500).startswith("Run: about ")
    job.start()
    assert wait_until(lambda: job.done, timeout=30)
    assert job.state == "finished"
    assert estimate.duration_note(job, 500).startswith("Continue: about ")
