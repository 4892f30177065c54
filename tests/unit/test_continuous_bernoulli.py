"""The continuous Bernoulli decoder (issue 20, item 11): a normalised density on [0, 1], checked against
torch.distributions.ContinuousBernoulli where that is accurate and against numerical integration everywhere."""

import math

import pytest
import torch
from torch.distributions import ContinuousBernoulli

from explorer import config_limits, likelihood, models
from explorer.config_limits import LimitError
from explorer.models import continuous_bernoulli as cb
from explorer.models.common import decoder_distribution, decoder_mean, reconstruction_nll

# torch works from λ = σ(l) and switches to a Taylor series for λ in (0.499, 0.501): accurate in float64 here
MODERATE = torch.tensor([-8.0, -3.0, -0.7, -0.051, -0.049, -1e-4, 0.0, 2e-3, 0.03, 0.2, 1.0, 5.0, 8.0],
                        dtype=torch.float64)


def midpoint_grid(points: int = 200_000) -> torch.Tensor:
    return (torch.arange(points, dtype=torch.float64) + 0.5) / points


def test_log_prob_and_mean_agree_with_torch():
    x = torch.tensor([0.0, 0.13, 0.5, 0.87, 1.0], dtype=torch.float64)[:, None]
    oracle = ContinuousBernoulli(logits=MODERATE)
    assert torch.allclose(cb.log_prob(MODERATE, x), oracle.log_prob(x), atol=1e-6)
    assert torch.allclose(cb.mean(MODERATE), oracle.mean, atol=1e-6)


def test_normaliser_is_log_two_at_zero_and_log_logit_far_out():
    assert cb.log_normaliser(torch.zeros(1)).item() == pytest.approx(math.log(2))
    far = torch.tensor([-200.0, 60.0])
    assert torch.allclose(cb.log_normaliser(far), far.abs().log())
    assert torch.allclose(cb.mean(far), torch.tensor([1 / 200, 1 - 1 / 60]))


@pytest.mark.parametrize("logit", [-60.0, -20.0, -2.5, -0.01, 0.0, 0.04, 1.5, 12.0, 45.0])
def test_the_density_integrates_to_one_and_its_mean_is_its_mean(logit):
    x = midpoint_grid()
    density = cb.log_prob(torch.tensor(logit, dtype=torch.float64), x).exp()
    assert density.mean().item() == pytest.approx(1.0, abs=2e-6)
    assert (x * density).mean().item() == pytest.approx(cb.mean(torch.tensor(logit)).item(), abs=2e-6)


def test_a_decoders_distribution_integrates_to_one_for_several_z():
    """p(x|z) is a product of the pixels' densities: each integrates to 1, so the product does on [0, 1]^784."""
    model = models.build_seeded("vae", None, 0, x_dim=784, z_dim=2, likelihood="continuous_bernoulli").double()
    z = torch.tensor([[0.0, 0.0], [2.5, -1.0], [-3.0, 3.0]], dtype=torch.float64)
    logits = model.decode(z).base_dist.logits.detach()  # (3, 784)
    x = midpoint_grid(20_000)
    per_pixel = cb.log_prob(logits[..., None], x).exp().mean(-1)  # (3, 784): ∫ p(x_d | z) dx_d
    assert torch.allclose(per_pixel, torch.ones_like(per_pixel), atol=1e-5)
    assert per_pixel.log().sum(1).abs().max().item() < 1e-3  # log ∫ p(x|z) dx over [0, 1]^784


def test_loss_density_mean_and_quadrature_path_are_one_distribution():
    generator = torch.Generator().manual_seed(0)
    logits = 6 * torch.randn(4, 784, generator=generator, dtype=torch.float64)
    x = torch.rand(4, 784, generator=generator, dtype=torch.float64)
    dist = decoder_distribution(logits, "continuous_bernoulli", 1.0)
    assert torch.allclose(-dist.log_prob(x), reconstruction_nll(logits, x, "continuous_bernoulli", 1.0))
    assert torch.allclose(dist.mean, decoder_mean(logits, "continuous_bernoulli"))
    scores = likelihood._score_outer(dist, x, (torch.device("cpu"), torch.float64))  # (M = 4 z, B = 4 images)
    assert torch.allclose(scores.diagonal(), dist.log_prob(x))


def test_gradients_are_finite_at_and_around_the_series_switch():
    logits = torch.tensor([0.0, cb.SMALL_LOGIT, -cb.SMALL_LOGIT, 1e-7, 300.0], requires_grad=True)
    (cb.log_normaliser(logits).sum() + cb.mean(logits).sum()).backward()
    assert torch.isfinite(logits.grad).all()
    below, above = cb.log_normaliser(torch.tensor([cb.SMALL_LOGIT * 0.999, cb.SMALL_LOGIT * 1.001],
                                                  dtype=torch.float64))
    assert above.item() == pytest.approx(below.item(), abs=1e-6)


def test_a_checkpoint_saved_with_the_old_bernoulli_name_loads_as_a_continuous_bernoulli():
    config = models.config_from_dict("vae", {"x_dim": 16, "z_dim": 2, "hidden": [8], "likelihood": "bernoulli"})
    assert config.likelihood == "continuous_bernoulli"
    other = models.config_from_dict("vae", {"x_dim": 16, "z_dim": 2, "hidden": [8], "likelihood": "poisson"})
    with pytest.raises(LimitError, match="likelihood"):
        config_limits.check("vae", other)
