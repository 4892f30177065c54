"""Slider extremes never put NaN on screen: every model kind with a knob trains a few steps at each
extreme the pages offer, and either every number it reports is finite or the NaN guard stops the run
with its message and leaves finite weights.

The extremes are the ends of the pages' sliders: β in {0, 10} (`training.BETAS`), decoder σ = 0.01,
τ = 0.01 (and 10) on the categorical VAE, commitment β in {0, 2} on the VQ-VAE, free bits 2, and the
largest learning rate offered (0.1, the "Train your own" panel), alone and combined with the others.
"""

from __future__ import annotations

import math
import re

import pytest
import torch

from explorer import data, models
from explorer.analysis import vq
from explorer.training.train import Diverged, TrainConfig, Trainer

STEPS = 30
LR_MAX = 0.1  # the largest choice of explorer/ui/training.py's learning-rate slider
DIVERGED = re.compile(r"Training diverged at step \d+: the loss (became \S+( \(it was \S+ the step before\))?|jumped "
                      r"(from \S+ )?to \S+ nats per sample, over 1,000 times its usual size so far \(\S+\))\. "
                      r"Stopped, and restored the last good weights \(step \d+(, the untrained model)?\)\. "
                      r"Likely cause: .+\. Knobs in force: learning rate .+\.")


def digits() -> torch.Tensor:
    return data.load("digits", "train").x[:512]  # 8×8 images in [0, 1], bundled with scikit-learn


def build(kind: str, likelihood: str = "bernoulli") -> torch.nn.Module:
    torch.manual_seed(0)
    shape = {"x_dim": 64, "image_shape": (8, 8), "likelihood": likelihood}
    options = {
        "vae": {"z_dim": 2, "hidden": (32, 16)},
        "ae": {"z_dim": 2, "hidden": (32, 16)},
        "convvae": {"hidden": (8,), "code_dim": 4},
        "gumbel": {"groups": 4, "categories": 5, "hidden": (32,)},
        "hvae": {"groups": (4, 2), "hidden": 32},
        "vqvae": {**vq.architecture((8, 8)), "hidden": (8,), "codebook_size": 16},
    }[kind]
    return models.build(kind, None, **shape, **options)


# (kind, decoder likelihood, knobs, learning rate): each extreme alone, then the largest learning rate with it
CASES = [
    ("vae", "bernoulli", {"beta": 0.0}, 2e-3),
    ("vae", "bernoulli", {"beta": 10.0}, 2e-3),
    ("vae", "gaussian", {"decoder_sigma": 0.01}, 2e-3),
    ("vae", "gaussian", {"beta": 0.0, "decoder_sigma": 0.01}, LR_MAX),
    ("vae", "gaussian", {"beta": 10.0, "decoder_sigma": 0.01, "free_bits": 2.0}, LR_MAX),
    ("vae", "bernoulli", {"beta": 10.0}, LR_MAX),
    ("ae", "gaussian", {"decoder_sigma": 0.01}, 2e-3),
    ("ae", "gaussian", {"decoder_sigma": 0.01}, LR_MAX),
    ("ae", "bernoulli", {}, LR_MAX),
    ("convvae", "bernoulli", {"beta": 0.0}, 2e-3),
    ("convvae", "bernoulli", {"beta": 10.0}, LR_MAX),
    ("gumbel", "bernoulli", {"tau": 0.01}, 2e-3),
    ("gumbel", "bernoulli", {"tau": 0.01, "hard": True}, 2e-3),
    ("gumbel", "bernoulli", {"tau": 10.0, "beta": 10.0}, 2e-3),
    ("gumbel", "bernoulli", {"tau": 0.01, "beta": 0.0}, LR_MAX),
    ("hvae", "bernoulli", {"beta": 0.0}, 2e-3),
    ("hvae", "gaussian", {"beta": 10.0, "decoder_sigma": 0.01}, 2e-3),
    ("hvae", "gaussian", {"beta": 10.0, "decoder_sigma": 0.01, "free_bits": 2.0}, LR_MAX),
    ("vqvae", "bernoulli", {"commitment_beta": 0.0}, 2e-3),
    ("vqvae", "bernoulli", {"commitment_beta": 2.0}, LR_MAX),
]


def case_id(case) -> str:
    kind, likelihood, knobs, lr = case
    return f"{kind}-{likelihood}-" + "-".join(f"{k}={v}" for k, v in knobs.items()) + f"-lr={lr:g}"


def finite_numbers(rows: list[dict]) -> bool:
    return all(math.isfinite(v) for row in rows for v in row.values() if isinstance(v, float))


@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
def test_extreme_knobs_give_finite_numbers_or_the_nan_guard(case):
    kind, likelihood, knobs, lr = case
    model = build(kind, likelihood)
    x = digits()
    trainer = Trainer(model, x, TrainConfig(steps=STEPS, batch_size=64, lr=lr, log_every=5, eval_every=10,
                                            eval_size=128), knobs, x_test=x[:128])
    try:
        trainer.run()
    except Diverged as err:
        assert DIVERGED.fullmatch(str(err)), str(err)
    assert finite_numbers(trainer.state.history), "a number the page draws is not finite"
    assert all(torch.isfinite(p).all() for p in model.parameters()), "weights left non-finite"
    # what the page shows next: held-out terms, decoded samples
    assert finite_numbers([trainer.evaluate()])
    with torch.no_grad():
        assert torch.isfinite(model.sample(4)).all()


def test_a_run_that_blows_up_at_the_extremes_stops_with_the_guard_message():
    """No extreme above blows up within a few steps, so make one do it: the guard's branch at σ = 0.01
    and the largest learning rate, as the page would meet it."""
    model = build("vae", "gaussian")
    x = digits()
    trainer = Trainer(model, x, TrainConfig(steps=STEPS, batch_size=64, lr=LR_MAX, snapshot_every=5, log_every=5),
                      {"beta": 10.0, "decoder_sigma": 0.01}, x_test=x[:128])
    trainer.run(10)
    with torch.no_grad():
        model.decoder[0].weight.fill_(float("inf"))
    with pytest.raises(Diverged) as stopped:
        trainer.run()
    assert DIVERGED.fullmatch(str(stopped.value)), str(stopped.value)
    assert all(torch.isfinite(p).all() for p in model.parameters())
    assert finite_numbers(trainer.state.history) and finite_numbers([trainer.evaluate()])
