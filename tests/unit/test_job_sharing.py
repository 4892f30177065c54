"""Two runs sharing the server (issue 23, item 8): both make progress at once, a page's slow reading (`peek`)
does not stop a run, and readings run on the jobs' one torch thread. No speed thresholds here: the machines are
noisy; the shares are measured by `python -m explorer bench --training-share`."""

import torch

from explorer import models
from explorer.training.jobs import JOB_THREADS, TrainingJob, wait_until
from explorer.training.train import TrainConfig


def tiny_job(seed: int, steps: int = 10**6) -> TrainingJob:
    model = models.build_seeded("vae", None, seed, x_dim=16, z_dim=2, hidden=(8,))
    x = torch.rand(64, 16, generator=torch.Generator().manual_seed(seed))
    config = TrainConfig(steps=steps, batch_size=16, log_every=5, eval_every=10**6, seed=seed)
    return TrainingJob(model, x, config, {"beta": 1.0}, copy_model=False)


def test_two_jobs_at_once_both_make_progress():
    a, b = tiny_job(0), tiny_job(1)
    a.start()
    b.start()
    try:
        a_start, b_start = a.step, b.step
        # each must take steps while the other runs: neither waits for the other to end
        assert wait_until(lambda: a.step > a_start + 50 and b.step > b_start + 50, timeout=30)
        assert a.state == b.state == "running"
    finally:
        a.stop()
        b.stop()


def test_peek_reads_a_copy_while_the_run_goes_on():
    job = tiny_job(2)
    job.advance(3)  # paused at step 3
    job.resume()
    try:
        def slow_reading(model: torch.nn.Module) -> tuple[int, bool]:
            before = job.step
            model.eval()  # a reading may switch its copy to eval; the run's model is not touched
            moved = wait_until(lambda: job.step > before + 5, timeout=20)  # the run trains during the reading
            return before, moved

        _, moved = job.peek(slow_reading)
        assert moved
        assert job.model.training  # the run's model stays in training mode
    finally:
        job.stop()


def test_peek_sees_the_weights_as_they_stand():
    job = tiny_job(3)
    job.advance(5)
    copied = job.peek(lambda model: {k: v.clone() for k, v in model.state_dict().items()})
    assert all(torch.equal(v, copied[k]) for k, v in job.model.state_dict().items())
    job.advance(5)
    again = job.peek(lambda model: model.state_dict())
    assert any(not torch.equal(v, copied[k]) for k, v in again.items())  # the copy follows the run
    assert all(torch.equal(v, again[k]) for k, v in job.model.state_dict().items())


def test_readings_run_on_the_jobs_torch_threads():
    job = tiny_job(4)
    before = torch.get_num_threads()
    assert job.read(lambda model: torch.get_num_threads()) == JOB_THREADS
    assert job.peek(lambda model: torch.get_num_threads()) == JOB_THREADS
    assert torch.get_num_threads() == before
