"""The autoregressive prior over code grids: causal, better than uniform on structured codes, seeded."""

import math

import pytest
import torch

from explorer import models
from explorer.models.prior import PriorConfig
from explorer.store import checkpoints
from explorer.training import tokens
from explorer.training.train import TrainConfig

K, GRID = 8, (3, 4)


def small_prior(**overrides):
    torch.manual_seed(0)
    return models.build("prior", PriorConfig(codebook_size=K, grid=GRID, d_model=32, n_layers=2, n_heads=2),
                        **overrides)


def markov_codes(n: int, seed: int) -> torch.Tensor:
    """Grids where each code is the previous + 1 (mod K) 90 % of the time: easy to predict, uniform marginal."""
    g = torch.Generator().manual_seed(seed)
    codes = torch.empty(n, math.prod(GRID), dtype=torch.long)
    codes[:, 0] = torch.randint(K, (n,), generator=g)
    for t in range(1, codes.shape[1]):
        jump = torch.rand(n, generator=g) > 0.9
        codes[:, t] = torch.where(jump, torch.randint(K, (n,), generator=g), (codes[:, t - 1] + 1) % K)
    return codes.reshape(n, *GRID)


def test_the_prior_is_causal():
    prior = small_prior().eval()
    codes = markov_codes(4, seed=0)
    inputs = prior.inputs(codes)
    changed = inputs.clone()
    changed[:, 7] = (changed[:, 7] + 3) % K  # alter the token at input position 7
    before, after = prior.logits(inputs), prior.logits(changed)
    torch.testing.assert_close(before[:, :7], after[:, :7])  # earlier positions do not see it
    assert not torch.allclose(before[:, 7:], after[:, 7:])  # later ones do


def test_loss_terms_agree_and_the_untrained_prior_is_near_uniform():
    with torch.no_grad():
        terms = {name: float(t) for name, t in small_prior().loss(markov_codes(64, seed=1)).items()}
    assert terms["bits_per_token"] == pytest.approx(terms["nats_per_token"] / math.log(2))
    assert terms["nats_per_image"] == pytest.approx(terms["nats_per_token"] * math.prod(GRID), rel=1e-5)
    assert abs(terms["nats_per_token"] - math.log(K)) < 0.5


@pytest.mark.slow  # trains for more than a second: not in the fast tier
def test_heldout_nll_beats_the_uniform_prior_after_training():
    prior = small_prior()
    trainer = tokens.train_prior(prior, markov_codes(2000, seed=2), markov_codes(500, seed=3),
                                 TrainConfig(steps=300, batch_size=64, lr=3e-3, log_every=50, eval_every=300))
    result = tokens.heldout_nll(prior, markov_codes(500, seed=4))
    assert result["fraction_of_uniform"] < 0.6, result  # the chain's entropy is ≈ 0.36 log K per token
    assert trainer.state.history[-1]["test_nats_per_token"] == pytest.approx(
        tokens.heldout_nll(prior, markov_codes(500, seed=3))["nats_per_token"], rel=1e-4)


def test_sampling_is_reproducible_under_a_seed_and_keeps_a_prefix():
    prior = small_prior().eval()
    draw = lambda seed, **kw: prior.sample(5, generator=torch.Generator().manual_seed(seed), **kw)  # noqa: E731
    assert torch.equal(draw(7), draw(7)) and not torch.equal(draw(7), draw(8))
    assert draw(7).shape == (5, *GRID) and draw(7).min() >= 0 and draw(7).max() < K
    prefix = torch.tensor([[1, 2, 3, 4, 5]]).expand(5, -1)
    assert torch.equal(draw(0, prefix=prefix).reshape(5, -1)[:, :5], prefix)
    greedy = draw(0, top_k=1)
    assert torch.equal(greedy, draw(1, top_k=1))  # top-1 leaves no choice: the same grid for any seed
    assert torch.equal(greedy, draw(2, temperature=1e-6))


def test_checkpoint_round_trip(tmp_path):
    prior = small_prior().eval()
    loaded = checkpoints.load(checkpoints.save(prior, tmp_path / "prior.safetensors"))
    codes = markov_codes(3, seed=5)
    torch.testing.assert_close(loaded.loss(codes)["loss"], prior.loss(codes)["loss"])
