"""The trainer and the background job: learning, knobs, NaN guard, pause/stop, isolation."""

import math

import pytest
import torch

from explorer import models
from explorer.training import jobs
from explorer.training.jobs import QueueFull, TrainingJob, wait_until
from explorer.training.train import Diverged, TrainConfig, Trainer, accepted_knobs


@pytest.fixture(autouse=True)
def no_leftover_jobs():
    yield
    for job in list(jobs._running):
        job.stop()


SMALL = dict(x_dim=16, z_dim=2, hidden=(32,), image_shape=(4, 4))


def toy_images(n=512, seed=0):
    """Two prototype 4×4 images with pixel noise: easy to learn."""
    g = torch.Generator().manual_seed(seed)
    protos = torch.stack([torch.linspace(0, 1, 16), torch.linspace(1, 0, 16)])
    pick = torch.randint(0, 2, (n,), generator=g)
    return (protos[pick] + 0.05 * torch.randn(n, 16, generator=g)).clamp(0, 1)


def test_training_lowers_the_loss():
    torch.manual_seed(0)
    model = models.build("vae", None, **SMALL)
    x = toy_images()
    trainer = Trainer(model, x, TrainConfig(steps=300, batch_size=64, lr=3e-3, log_every=10, eval_every=100),
                      x_test=toy_images(128, seed=1))
    first = trainer.evaluate()["test_elbo"]
    state = trainer.run()
    assert state.step == 300
    assert state.history[-1]["test_elbo"] > first + 1.0
    assert all(math.isfinite(v) for r in state.history for v in r.values())


def test_batches_cover_the_data_once_per_epoch():
    model = models.build("ae", None, **SMALL)
    x = torch.arange(40, dtype=torch.float32)[:, None].repeat(1, 16)
    trainer = Trainer(model, x, TrainConfig(batch_size=8))
    seen = torch.cat([trainer._next_batch()[:, 0] for _ in range(5)])
    assert sorted(seen.tolist()) == list(range(40))


def test_knobs_reach_the_loss_and_are_filtered_by_model():
    vae, ae = models.build("vae", None, **SMALL), models.build("ae", None, **SMALL)
    assert accepted_knobs(ae, {"beta": 2.0, "decoder_sigma": 0.3}) == {"decoder_sigma": 0.3}
    trainer = Trainer(vae, toy_images(), TrainConfig(steps=40, log_every=20), knobs={"beta": 0.0})
    trainer.run(20)
    trainer.knobs["beta"] = 5.0
    trainer.run(20)
    assert [r["beta"] for r in trainer.state.history] == [0.0, 5.0]


def test_nan_guard_restores_last_good_weights():
    torch.manual_seed(0)
    model = models.build("vae", None, **SMALL)
    trainer = Trainer(model, toy_images(), TrainConfig(steps=100, snapshot_every=5))
    trainer.run(10)
    good = {k: v.clone() for k, v in model.state_dict().items()}
    trainer.step()  # weights are kept as good once a step has seen their loss: step 11 keeps those of step 10
    with torch.no_grad():  # a blown-up weight makes the next loss NaN
        model.decoder[0].weight.fill_(float("nan"))
    with pytest.raises(Diverged, match="restored the last good weights"):
        trainer.step()
    for name, value in model.state_dict().items():
        torch.testing.assert_close(value, good[name])
    assert math.isfinite(trainer.step()["loss"])  # and it can go on from there


def make_job(steps=100_000, **kwargs):
    torch.manual_seed(0)
    model = models.build("vae", None, **SMALL)
    return model, TrainingJob(model, toy_images(), TrainConfig(steps=steps, batch_size=32, log_every=5),
                              {"beta": 1.0}, x_test=toy_images(64, 1), **kwargs)


def test_job_trains_a_copy_never_the_shared_model():
    shared, job = make_job(steps=50)
    before = {k: v.clone() for k, v in shared.state_dict().items()}
    job.start()
    job.join(30)
    assert job.state == "finished" and job.step == 50
    for name, value in shared.state_dict().items():
        assert torch.equal(value, before[name]), f"the shared model's {name} changed"
    assert not torch.equal(job.model.decoder[0].weight, shared.decoder[0].weight)


def test_job_pause_resume_stop():
    _, job = make_job()
    job.start()
    assert wait_until(lambda: job.step > 5)
    job.pause()
    wait_until(lambda: False, timeout=0.2)  # a step in flight may still finish
    settled = job.step
    wait_until(lambda: False, timeout=0.3)
    assert job.step == settled and job.state == "paused"
    job.resume()
    assert wait_until(lambda: job.step > settled + 5)
    job.stop()
    assert job.state == "stopped" and not job._thread.is_alive()
    assert "test_elbo" in job.history[-1]


def test_job_knobs_change_between_steps():
    _, job = make_job()
    job.start()
    wait_until(lambda: job.step > 10)
    job.set_knobs(beta=4.0)
    assert wait_until(lambda: any(r.get("beta") == 4.0 for r in job.history))
    job.stop()


def test_job_diverging_reports_and_keeps_finite_weights():
    _, job = make_job()
    with torch.no_grad():
        job.model.encoder[0].weight.fill_(float("inf"))
    job.start()
    job.join(10)
    assert job.state == "diverged" and "diverged" in job.message
    assert all(torch.isfinite(p).all() for p in job.model.parameters())


def test_job_stops_when_its_session_ends():
    alive = {"yes": True}
    _, job = make_job(alive=lambda: alive["yes"])
    job.start()
    wait_until(lambda: job.step > 10)
    alive["yes"] = False
    job.join(10)
    assert job.state == "stopped" and "session" in job.message


def test_running_jobs_are_bounded(monkeypatch):
    monkeypatch.setattr(jobs, "MAX_RUNNING", 1)
    _, first = make_job()
    _, second = make_job()
    first.start()
    with pytest.raises(QueueFull, match="at most 1"):
        second.start()
    first.stop()
    second.start()
    second.stop()
    assert jobs.running_count() == 0


def test_eval_fn_adds_its_numbers_to_every_evaluation():
    model = models.build("vae", None, **SMALL)
    calls = []

    def extra(m):
        calls.append(m)
        return {"heldout_answer": 42.0}

    trainer = Trainer(model, toy_images(), TrainConfig(steps=20, log_every=10, eval_every=10),
                      x_test=toy_images(32, 1), eval_fn=extra)
    state = trainer.run()
    assert [r.get("heldout_answer") for r in state.history] == [42.0, 42.0]
    assert all(m is model for m in calls)


def test_kl_warmup_ramps_beta_linearly():
    model = models.build("vae", None, **SMALL)
    trainer = Trainer(model, toy_images(), TrainConfig(kl_warmup_steps=100), knobs={"beta": 2.0})
    assert trainer.step_knobs()["beta"] == 0.0
    trainer.state.step = 25
    assert trainer.step_knobs()["beta"] == 0.5
    trainer.state.step = 400
    assert trainer.step_knobs()["beta"] == 2.0 and trainer.knobs["beta"] == 2.0


def test_step_zero_records_the_untrained_model_without_changing_the_run():
    """A page draws the model before Train (issue 23, item 1): the history's first row is step 0, the loss of the
    untrained weights on training rows (the knobs as set) and on held-out ones; the steps that follow draw the
    same batches and noise as a run that never recorded it."""
    x, config = toy_images(), TrainConfig(steps=5, batch_size=32, lr=1e-2, log_every=1, eval_every=5)
    torch.manual_seed(0)
    model = models.build("vae", None, **SMALL)
    plain, recorded = (Trainer(models.build("vae", None, **SMALL), x, config, {"beta": 2.0}, x[:64]) for _ in "ab")
    for trainer in (plain, recorded):
        trainer.model.load_state_dict(model.state_dict())
    recorded.record_start()
    (start,) = recorded.state.history
    with torch.no_grad():
        model.eval()
        terms = model.loss(x[:config.eval_size], generator=torch.Generator().manual_seed(config.seed + 1), beta=2.0)
    assert start["step"] == 0 and start["beta"] == 2.0
    assert start["loss"] == pytest.approx(terms["loss"].item()) and "test_elbo" in start
    plain.run(), recorded.run()
    assert [r["loss"] for r in recorded.state.history[1:]] == [r["loss"] for r in plain.state.history]


def test_a_job_waits_at_step_zero_until_started():
    job = TrainingJob(models.build("vae", None, **SMALL), toy_images(), TrainConfig(steps=3, batch_size=32),
                      x_test=toy_images(64, seed=1))
    assert job.state == "ready" and job.step == 0 and [r["step"] for r in job.history] == [0]
    job.start()
    assert wait_until(lambda: job.done) and job.state == "finished"
    assert [r["step"] for r in job.history][0] == 0 and job.step == 3


def test_step_by_hand_then_resume_then_continue():
    """Step ×10 trains ten steps now and pauses; Resume plays on in the background; Continue trains a finished run
    further, its history's steps going on from where they stopped (issue 23, items 2)."""
    config = TrainConfig(steps=30, batch_size=32, log_every=5, eval_every=30)
    job = TrainingJob(models.build("vae", None, **SMALL), toy_images(), config, x_test=toy_images(64, seed=1))
    job.advance(10)
    assert job.state == "paused" and job.step == 10 and jobs.running_count() == 0
    job.advance(1)
    assert job.step == 11
    job.resume()
    assert wait_until(lambda: job.done) and job.state == "finished" and job.step == 30
    job.advance(10)
    assert job.step == 30  # a finished run is not stepped: Continue is its way on
    job.extend(20)
    assert wait_until(lambda: job.done) and job.state == "finished" and job.step == 50
    steps = [row["step"] for row in job.history]
    assert steps == sorted(set(steps)) and steps[-1] == 50 and 30 in steps


def test_a_stepped_run_can_be_stopped_without_a_thread():
    job = TrainingJob(models.build("vae", None, **SMALL), toy_images(), TrainConfig(steps=30, batch_size=32))
    job.advance(3)
    job.stop()
    assert job.state == "stopped" and job.done and job.step == 3
