"""Pretraining records the gap's two parts at every evaluation (issue 20, the gap decomposed): the pretrained 2-D
VAEs' histories get the held-out mean approximation and amortization gaps, which the ELBO page plots."""

from __future__ import annotations

import pytest
import torch

from explorer import models
from explorer.maths import bounds, likelihood
from explorer.training.pretrain import heldout_gap
from explorer.training.pretrain_specs import history_columns
from explorer.training.train import TrainConfig, Trainer


def tiny_vae():
    torch.manual_seed(0)
    return models.build("vae", None, x_dim=16, hidden=(8,), image_shape=(4, 4))


def test_the_eval_hook_records_both_parts_of_the_gap_on_a_fixed_subset():
    model, x = tiny_vae(), torch.rand(6, 16, generator=torch.Generator().manual_seed(1))
    numbers = heldout_gap(x, split_images=3)(model)
    assert {"heldout_approximation_gap", "heldout_amortization_gap"} <= set(numbers)
    assert numbers["heldout_approximation_gap"] >= -1e-6 and numbers["heldout_amortization_gap"] >= 0
    scored = likelihood.binarise(x)  # the hook scores the binarised images
    subset_gap = bounds.gap(model, scored[:3]).gap.mean().item()  # the parts add up to the subset's mean gap
    split = numbers["heldout_approximation_gap"] + numbers["heldout_amortization_gap"]
    assert split == pytest.approx(subset_gap, abs=1e-6)
    assert numbers["heldout_gap"] == pytest.approx(bounds.gap(model, scored).gap.mean().item())


def test_a_training_history_keeps_the_parts_at_every_evaluation():
    x = torch.rand(64, 16, generator=torch.Generator().manual_seed(2))
    trainer = Trainer(tiny_vae(), x, TrainConfig(steps=4, batch_size=16, eval_every=2, log_every=2), {"beta": 1.0},
                      x_test=x[:8], eval_fn=heldout_gap(x[:8], split_images=2))
    history = history_columns(trainer.run().history)
    assert history["step"] == [2, 4]
    assert len(history["heldout_approximation_gap"]) == len(history["heldout_amortization_gap"]) == 2
