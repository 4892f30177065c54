"""Divergence is named (issue 23, item 4): a loss that grows by orders of magnitude, not only a non-finite one, stops
the run, brings back the last good weights and says in words what happened and why; healthy runs, including ones
whose losses are legitimately huge, negative or crossing zero, never trip it."""

import math

import pytest
import torch

from explorer import models
from explorer.training import jobs
from explorer.training.divergence import GROWTH_LIMIT, LossScale, divergence_message, likely_cause, readable
from explorer.training.jobs import TrainingJob, wait_until
from explorer.training.train import Diverged, TrainConfig, Trainer


@pytest.fixture(autouse=True)
def no_leftover_jobs():
    yield
    for job in list(jobs._running):
        job.stop()


def toy_images(n=512, seed=0, side=4, noise=0.05):
    """Two prototype side×side images (a ramp and its mirror) with pixel noise: easy to learn."""
    g = torch.Generator().manual_seed(seed)
    protos = torch.stack([torch.linspace(0, 1, side * side), torch.linspace(1, 0, side * side)])
    pick = torch.randint(0, 2, (n,), generator=g)
    return (protos[pick] + noise * torch.randn(n, side * side, generator=g)).clamp(0, 1)


def vae(likelihood="gaussian", side=4, seed=0):
    torch.manual_seed(seed)
    return models.build("vae", None, x_dim=side * side, z_dim=2, hidden=(32,), image_shape=(side, side),
                        likelihood=likelihood)


def weights(model):
    return {name: value.clone() for name, value in model.state_dict().items()}


def assert_weights_equal(model, expected):
    for name, value in model.state_dict().items():
        torch.testing.assert_close(value, expected[name], rtol=0, atol=0, msg=f"{name} is not the good snapshot's")


def losses_in(history):
    return [row["loss"] for row in history if "loss" in row]


# --- a run made to diverge --------------------------------------------------------------------------------------------
# Adam moves every weight by ~1 at step 1; a snapshot is due at every step, so one of weights whose loss no step has
# seen yet (those of step 1, which blew up) would be what comes back
DIVERGING = dict(steps=100, batch_size=64, lr=1.0, log_every=1, snapshot_every=1)
DIVERGING_KNOBS = {"beta": 0.0, "decoder_sigma": 0.01}


def test_a_too_fast_run_stops_on_growth_with_the_untrained_weights_and_says_why():
    """lr 1 with σ = 0.01 and β = 0: the loss goes 3.7e4 → 6e10 at step 2 and never turns NaN (the old guard let it
    run on at ~7e3 after that spike). It stops there, the untrained weights back, the step and knobs named."""
    model = vae()
    untrained = weights(model)
    trainer = Trainer(model, toy_images(), TrainConfig(**DIVERGING), DIVERGING_KNOBS)
    with pytest.raises(Diverged) as stopped:
        trainer.run()
    message = str(stopped.value)
    assert message.startswith("Training diverged at step 2: the loss jumped from 3.723e4 to ")
    assert "restored the last good weights (step 0, the untrained model)" in message
    assert "the learning rate 1 is too high" in message and "decoder σ = 0.01" in message and "β = 0" in message
    assert "1/(2σ²) = 5000" in message
    assert_weights_equal(model, untrained)
    assert trainer.state.step == 1  # the diverged step was not taken
    recorded = losses_in(trainer.state.history)
    assert recorded == pytest.approx([37232.5], rel=1e-4)  # step 1 only: the 6e10 of step 2 is not in the history


def test_a_blow_up_after_healthy_steps_restores_the_snapshot_its_loss_was_checked_on():
    """60 healthy steps, then the decoder's weights scaled 1e4x (a blow-up's end state, finite): the next loss is
    ~1e3-1e4 times its usual size. The weights of step 50 come back: step 51 saw their loss."""
    model = vae("bernoulli")
    trainer = Trainer(model, toy_images(), TrainConfig(steps=100, batch_size=64, lr=2e-3, log_every=1))
    trainer.run(50)
    step_50 = weights(model)
    trainer.run(10)
    with torch.no_grad():
        model.decoder[-1].weight.mul_(1e4)
    with pytest.raises(Diverged, match=r"^Training diverged at step 61: the loss jumped from \S+ to ") as stopped:
        trainer.step()
    assert "restored the last good weights (step 50)" in str(stopped.value)
    assert "learning rate 0.002" in str(stopped.value)
    assert_weights_equal(model, step_50)
    recorded = losses_in(trainer.state.history)
    assert len(recorded) == 60 and all(math.isfinite(v) and abs(v) < 20 for v in recorded)


def test_weights_whose_loss_already_climbed_are_not_kept_as_good():
    """Weights whose loss stands 10-1000 times its usual size pass the check but are no good: the snapshot due at
    step 75 is skipped, and the blow-up after it brings back step 50's."""
    model = vae("bernoulli")
    trainer = Trainer(model, toy_images(), TrainConfig(steps=100, batch_size=64, lr=2e-3, log_every=1))
    trainer.run(50)
    step_50 = weights(model)
    trainer.run(24)
    usual = sum(losses_in(trainer.state.history)[-10:]) / 10
    with torch.no_grad():
        model.decoder[-1].weight.mul_(300.0)
    climbed = [trainer.step()["loss"] for _ in range(2)]  # steps 75 and 76; the latter saw the weights of step 75
    assert all(10 * usual < loss < GROWTH_LIMIT * usual for loss in climbed), (usual, climbed)
    with torch.no_grad():
        model.decoder[-1].weight.mul_(1e3)
    with pytest.raises(Diverged, match=r"restored the last good weights \(step 50\)"):
        trainer.run(5)
    assert_weights_equal(model, step_50)


# --- healthy runs never trip it ---------------------------------------------------------------------------------------
HEALTHY = [
    # (decoder, σ, side, pixel noise, steps, what the losses do)
    ("gaussian", 0.01, 4, 0.05, 300, "large and positive: +3.7e4 at step 1, ~120 after"),
    ("gaussian", 0.05, 4, 0.05, 300, "crossing zero: +1458 at step 1, about -20 after"),
    ("gaussian", 0.01, 28, 0.002, 300, "large and negative: +1.7e6 at step 1, below -2000 after"),
    ("bernoulli", None, 4, 0.05, 300, "small and positive: ~11 nats falling to ~9"),
]


@pytest.mark.parametrize("likelihood, sigma, side, noise, steps, shape", HEALTHY, ids=[h[-1] for h in HEALTHY])
def test_a_healthy_run_never_trips_the_check(likelihood, sigma, side, noise, steps, shape):
    model = vae(likelihood, side)
    knobs = {} if sigma is None else {"decoder_sigma": sigma}
    trainer = Trainer(model, toy_images(side=side, noise=noise),
                      TrainConfig(steps=steps, batch_size=64, lr=2e-3, log_every=1), knobs)
    scale, worst = LossScale(), 0.0
    for _ in range(steps):
        loss = trainer.step()["loss"]  # raises Diverged if the check misfires
        worst = max(worst, scale.growth(loss))
        scale.update(loss)
    recorded = losses_in(trainer.state.history)
    assert len(recorded) == steps
    assert worst < GROWTH_LIMIT / 100, f"{shape}: a healthy loss reached {worst:.3g}x its usual size"
    if "negative" in shape:  # the run is the one the case names
        assert recorded[0] > 1e6 and max(recorded[-50:]) < -2000
    if "crossing zero" in shape:
        assert recorded[0] > 1000 and max(recorded[-50:]) < 0


def test_a_knob_moved_by_hand_measures_the_usual_size_afresh():
    """σ 1 → 0.01 multiplies the squared error by 10,000: a legitimate jump, not a divergence."""
    model = vae()
    trainer = Trainer(model, toy_images(), TrainConfig(steps=200, batch_size=64, lr=2e-3), {"decoder_sigma": 1.0})
    trainer.run(100)
    before = trainer.state.history[-1]["loss"]
    trainer.knobs["decoder_sigma"] = 0.001
    after = trainer.step()["loss"]
    assert abs(after) > GROWTH_LIMIT * abs(before)  # would have tripped against the old scale
    trainer.run(20)


# --- through the job a page polls -------------------------------------------------------------------------------------
def test_a_diverging_job_ends_diverged_with_the_message_and_finite_weights():
    job = TrainingJob(vae(), toy_images(), TrainConfig(**DIVERGING), DIVERGING_KNOBS, x_test=toy_images(64, 1))
    job.start()
    assert wait_until(lambda: job.done, timeout=30)
    assert job.state == "diverged"
    assert job.message.startswith("Training diverged at step 2: the loss jumped")
    assert "the learning rate 1 is too high" in job.message
    assert all(torch.isfinite(p).all() for p in job.model.parameters())
    assert all(abs(v) < 1e6 for v in losses_in(job.history))  # step 0 and step 1, 3.7e4 each


# --- the words --------------------------------------------------------------------------------------------------------
def test_the_message_names_what_happened_and_the_knobs():
    text = divergence_message(step=412, loss=8.1e14, previous=180.0, usual=175.0, restored_step=400, lr=0.1,
                              sigma=0.01, beta=0.0)
    assert text.startswith("Training diverged at step 412: the loss jumped from 180 to 8.1e14 nats per sample")
    assert "restored the last good weights (step 400)." in text
    assert "the learning rate 0.1 is too high for this model (try 0.002)" in text
    assert "scaled by 1/(2σ²) = 5000" in text and "with β = 0 no KL term" in text
    assert text.endswith("Knobs in force: learning rate 0.1, decoder σ = 0.01, β = 0.")
    nan = divergence_message(step=3, loss=math.nan, previous=12.5, usual=12.0, restored_step=0, lr=2e-3)
    assert "the loss became nan (it was 12.5 the step before)" in nan and "untrained model" in nan


def test_the_cause_blames_only_the_knobs_that_are_extreme():
    assert "learning rate" not in likely_cause(2e-3, sigma=0.01).split(";")[0]
    assert "σ" not in likely_cause(0.1, sigma=0.5)
    assert likely_cause(1e-3).startswith("a step too long for this loss")
    assert [readable(x) for x in (1.284e16, 509469.75, 180.0, -2847.3, 2e-3)] == \
        ["1.284e16", "5.095e5", "180", "-2847", "0.002"]


def test_the_usual_size_follows_a_falling_loss_and_ignores_a_climb():
    scale = LossScale()
    for loss in [1e6] + [100.0] * 100:  # an untrained model's loss, then a trained one's
        scale.update(loss)
    assert 100 <= scale.usual < 150  # it fell with the loss
    for loss in (2e2, 4e2, 8e2, 1.6e3, 3.2e3):  # a geometric climb: the reference stays put
        assert scale.growth(loss) < GROWTH_LIMIT
        scale.update(loss)
    assert scale.usual < 150
    assert scale.growth(2e5) > GROWTH_LIMIT and scale.growth(-2e5) > GROWTH_LIMIT  # a huge negative loss counts
