"""The categorical (Gumbel-softmax) VAE: exact KL, relaxed vs hard codes, τ as a live knob, annealing."""

import math

import pytest
import torch
from torch.distributions import Categorical, OneHotCategorical, kl_divergence

from explorer import models
from explorer.models.gumbel import TAU_MIN, GumbelVAE, kl_to_uniform
from explorer.store import checkpoints
from explorer.training.train import TrainConfig, Trainer, annealed_tau

SMALL = dict(x_dim=16, groups=3, categories=4, hidden=(12,), image_shape=(4, 4))


def small(**overrides) -> GumbelVAE:
    torch.manual_seed(0)
    return models.build("gumbel", None, **{**SMALL, **overrides})


def test_kl_to_uniform_matches_torch_distributions():
    logits = torch.randn(5, 3, 4)
    uniform = Categorical(logits=torch.zeros(4))
    oracle = kl_divergence(Categorical(logits=logits), uniform).sum(-1)
    torch.testing.assert_close(kl_to_uniform(logits.log_softmax(-1)), oracle)
    assert kl_to_uniform(torch.full((1, 3, 4), -math.log(4))).abs().max() < 1e-6  # q uniform: KL 0
    one_hot = torch.log(torch.tensor([1.0, 1e-30, 1e-30, 1e-30])).expand(1, 3, 4)
    torch.testing.assert_close(kl_to_uniform(one_hot), torch.tensor([3 * math.log(4)]))  # N log K


def test_shapes_and_the_interface():
    m = small()
    x = torch.rand(5, 16)
    q = m.encode(x)
    assert q.batch_shape == (5,) and q.event_shape == (3, 4)
    z = q.sample()
    assert torch.equal(z.sum(-1), torch.ones(5, 3))  # one-hot groups
    assert m.decode(z).batch_shape == (5,) and m.decode(z).event_shape == (16,)
    assert m.prior.event_shape == (3, 4) and m.sample(7).shape == (7, 16)
    terms = m.loss(x, tau=0.5, hard=True)
    assert set(terms) == {"loss", "recon", "kl", "elbo"} and all(torch.isfinite(t) for t in terms.values())
    torch.testing.assert_close(terms["elbo"], -(terms["recon"] + terms["kl"]))


def test_relaxed_codes_lie_in_the_simplex_and_sharpen_as_tau_falls():
    m = small().train()
    logits = torch.randn(2000, 3, 4)
    top = {tau: m.relaxed_codes(logits, tau, hard=False).max(-1).values.mean().item() for tau in (10.0, 1.0, 0.1)}
    assert top[10.0] < top[1.0] < top[0.1] and top[0.1] > 0.9 and top[10.0] < 0.4
    y = m.relaxed_codes(logits, 1.0, hard=False)
    assert (y >= 0).all() and torch.allclose(y.sum(-1), torch.ones(2000, 3))


def test_straight_through_is_one_hot_forward_with_the_relaxed_gradient():
    m = small().train()
    logits = torch.randn(4, 3, 4, requires_grad=True)
    torch.manual_seed(1)
    hard = m.relaxed_codes(logits, 0.5, hard=True)
    assert torch.equal(hard.sum(-1), torch.ones(4, 3)) and set(hard.unique().tolist()) == {0.0, 1.0}
    weights = torch.randn(4, 3, 4)
    (grad_hard,) = torch.autograd.grad((hard * weights).sum(), logits)
    torch.manual_seed(1)
    soft = m.relaxed_codes(logits, 0.5, hard=False)  # the same Gumbel noise
    (grad_soft,) = torch.autograd.grad((soft * weights).sum(), logits)
    torch.testing.assert_close(grad_hard, grad_soft)
    assert torch.equal(hard, torch.nn.functional.one_hot(soft.argmax(-1), 4).float())


def test_evaluation_uses_hard_samples_distributed_as_q():
    m = small().eval()
    logits = torch.tensor([[2.0, 0.0, -1.0, 0.5]]).expand(20000, 1, 4)
    torch.manual_seed(0)
    freq = m.relaxed_codes(logits, 1.0, hard=False).mean(0)[0]
    torch.testing.assert_close(freq, OneHotCategorical(logits=logits[0, 0]).probs, atol=0.015, rtol=0)


def test_extreme_tau_stays_finite():
    m = small().train()
    for tau in (0.0, 1e-6, TAU_MIN, 10.0, 1e6):
        terms = m.loss(torch.rand(8, 16), tau=tau)
        terms["loss"].backward()
        assert all(torch.isfinite(t) for t in terms.values()), tau
        assert all(torch.isfinite(p.grad).all() for p in m.parameters()), tau


def test_tau_annealing_schedule_and_history():
    m = small()
    config = TrainConfig(steps=30, batch_size=8, log_every=10, eval_every=10**6, tau_anneal_rate=0.05, tau_min=0.5)
    trainer = Trainer(m, torch.rand(64, 16), config, knobs={"tau": 1.0})
    assert trainer.step_knobs()["tau"] == 1.0
    trainer.run()
    taus = [row["tau"] for row in trainer.state.history]
    assert taus == pytest.approx([max(0.5, math.exp(-0.05 * s)) for s in (10, 20, 30)])
    assert trainer.knobs["tau"] == 1.0  # the schedule never overwrites the slider's value


@pytest.mark.parametrize("tau", [0.01, 0.1, 0.3, 0.5, 1.0, 5.0])
def test_annealing_never_raises_tau(tau):
    """A slider τ below τ_min stays put (it once jumped to τ_min = 0.5 at the first step); above it, τ falls
    as τ·e^(−rt) to the floor τ_min, never below."""
    taus = [annealed_tau(tau, step, rate=1e-3, tau_min=0.5) for step in range(0, 5001, 250)]
    assert taus[0] == tau and all(later <= earlier for earlier, later in zip(taus, taus[1:], strict=False))
    assert min(taus) == pytest.approx(min(tau, max(0.5, tau * math.exp(-5.0))))


def test_a_run_with_tau_below_the_floor_trains_at_that_tau():
    config = TrainConfig(steps=20, batch_size=8, log_every=10, eval_every=10**6, tau_anneal_rate=1e-3, tau_min=0.5)
    trainer = Trainer(small(), torch.rand(64, 16), config, knobs={"tau": 0.1})
    assert [row["tau"] for row in trainer.run().history] == pytest.approx([0.1, 0.1])


def test_training_lowers_the_loss_and_checkpoints_round_trip(tmp_path):
    torch.manual_seed(0)
    prototypes = (torch.rand(4, 16) > 0.5).float()  # 4 patterns: one group of 4 categories can name them
    x = prototypes[torch.randint(4, (256,))]
    m = small()
    trainer = Trainer(m, x, TrainConfig(steps=150, batch_size=32, lr=1e-2, log_every=10, eval_every=10**6),
                      knobs={"tau": 1.0, "hard": True})
    trainer.run()
    history = trainer.state.history
    assert history[-1]["loss"] < 0.5 * history[0]["loss"]
    checkpoints.save(m, tmp_path / "g.safetensors")
    loaded = checkpoints.load(tmp_path / "g.safetensors").eval()
    z = torch.nn.functional.one_hot(torch.randint(4, (5, 3)), 4).float()
    torch.testing.assert_close(loaded.decode_mean(z), m.eval().decode_mean(z))
