"""A knob moved during a run is marked on its live charts at the step it came in ("β 1 → 8", issue 23 item 3); the
schedules that move the knobs in force at every row (KL warm-up's β ramp, τ annealing) are no change and leave no
rule."""

from __future__ import annotations

import torch

from explorer import models
from explorer.figures.curves import training_curves
from explorer.figures.knob_rules import add_knob_rules, knob_changes
from explorer.training.train import TrainConfig, Trainer

VAE = dict(x_dim=16, z_dim=2, hidden=(32,), image_shape=(4, 4))
GUMBEL = dict(x_dim=16, groups=3, categories=4, hidden=(12,), image_shape=(4, 4))


def images(n: int = 256, seed: int = 0) -> torch.Tensor:
    return torch.rand(n, 16, generator=torch.Generator().manual_seed(seed))


def trainer(kind: str, config: TrainConfig, knobs: dict) -> Trainer:
    model = models.build_seeded(kind, None, 0, **(GUMBEL if kind == "gumbel" else VAE))
    run = Trainer(model, images(), config, knobs)
    run.record_start()
    return run


def test_a_beta_change_gives_one_rule_at_its_step():
    run = trainer("vae", TrainConfig(steps=60, batch_size=32, log_every=20, eval_every=10**6), {"beta": 1.0})
    run.run(13)
    run.knobs["beta"] = 8.0  # as `TrainingJob.set_knobs` does between two steps
    run.run(27)
    assert knob_changes(run.state.history) == [(13, "β 1 → 8")]


def test_kl_warmup_ramps_beta_and_gives_no_rule():
    config = TrainConfig(steps=100, batch_size=32, log_every=10, eval_every=10**6, kl_warmup_steps=80)
    run = trainer("vae", config, {"beta": 2.0})
    run.run(100)
    ramp = [row["beta"] for row in run.state.history]
    assert len(set(ramp)) > 5  # the β in force moved at every row
    assert knob_changes(run.state.history) == []


def test_tau_annealing_gives_no_rule_and_a_hand_set_tau_gives_one():
    config = TrainConfig(steps=60, batch_size=16, log_every=10, eval_every=10**6, tau_anneal_rate=0.05, tau_min=0.2)
    run = trainer("gumbel", config, {"tau": 1.0, "hard": False})
    run.run(30)
    assert len({row["tau"] for row in run.state.history}) > 3 and knob_changes(run.state.history) == []
    run.knobs.update(tau=0.5, hard=True)
    run.run(10)
    assert knob_changes(run.state.history) == [(30, "τ 1 → 0.5, straight-through off → on")]


def test_two_changes_give_two_rules_in_order():
    rows = [{"step": 0, "knob_beta": 1.0, "knob_decoder_sigma": 0.1, "knobs_since": 0},
            {"step": 20, "knob_beta": 8.0, "knob_decoder_sigma": 0.1, "knobs_since": 7},
            {"step": 40},  # a stopped run's last evaluation: no knobs
            {"step": 60, "knob_beta": 8.0, "knob_decoder_sigma": 0.5, "knobs_since": 44},
            {"step": 80, "knob_beta": 8.0, "knob_decoder_sigma": 0.5, "knobs_since": 44}]
    assert knob_changes(rows) == [(7, "β 1 → 8"), (44, "σ 0.1 → 0.5")]
    # a history written before `knobs_since`: the rule at the last row that still had the old value
    assert knob_changes([{k: v for k, v in row.items() if k != "knobs_since"} for row in rows]) == [
        (0, "β 1 → 8"), (40, "σ 0.1 → 0.5")]
    assert knob_changes([{"step": 0, "beta": 0.0}, {"step": 20, "beta": 0.5}]) == []  # in force, not set


def test_the_rules_are_drawn_with_their_labels_on_the_training_curves():
    rows = [{"step": s, "loss": 150.0 - s, "test_elbo": -150.0 + s, "knob_free_bits": 0.0 if s < 40 else 0.5,
             "knobs_since": 0 if s < 40 else 33} for s in range(0, 100, 20)]
    fig = training_curves(rows, ("loss", "test_elbo"))
    (rule,) = [shape for shape in fig.layout.shapes if shape.type == "line"]
    assert rule.x0 == rule.x1 == 33 and (rule.yref, rule.y0, rule.y1) == ("paper", 0, 1)  # across both axes
    assert [note.text for note in fig.layout.annotations] == ["λ 0 → 0.5"]
    assert not add_knob_rules(training_curves(rows[:2], ("loss",)), []).layout.shapes
