"""The bounds of the lecture against the closed forms of probabilistic PCA, their ordering
ELBO ≤ IWAE-k ≤ log p(x) and naive ≤ log p(x) within Monte-Carlo error (naive ≤ ELBO too for these
encoders, which no theorem promises), and the gap measured two ways."""


import ppca
import pytest
import torch
from shipped import shipped_mnist_vae_2d
from torch.distributions import kl_divergence

from explorer.maths.bounds import elbo, gap, iwae_bound, iwae_spread, naive_bound
from explorer.maths.likelihood import log_likelihood

F64 = torch.float64


def LinearGaussian(**options) -> ppca.LinearGaussian:  # noqa: N802 - the class, with these tests' noise
    return ppca.LinearGaussian(**{"noise": 0.5, **options})


def data(model, n=3):
    generator = torch.Generator().manual_seed(1)
    z = 1.5 * torch.randn(n, model.W.shape[1], generator=generator, dtype=F64)
    return z @ model.W.T + model.b + model.noise * torch.randn(n, 5, generator=generator, dtype=F64)


def wrong_q_model():
    """A mean-field q, moved and too wide: a gap of 0.75 nats (the naive bound is 30 nats lower)."""
    return LinearGaussian(q_shift=torch.tensor([0.15, -0.1], dtype=F64), q_scale=1.4, mean_field=True)


def test_gap_vanishes_when_q_is_the_posterior():
    model = LinearGaussian()
    x = data(model)
    result = gap(model, x, tol=1e-4)
    torch.testing.assert_close(result.log_px, model.exact_log_px(x), atol=1e-3, rtol=0)
    assert result.gap.abs().max() < 1e-3 and result.kl_to_posterior.abs().max() < 1e-3, result
    # log p(x, z) − log q(z|x) = log p(x) for every z: the ELBO (KL by Monte Carlo: torch has no
    # analytic KL from a full-covariance Normal to the prior) and IWAE-k are exact with any draws
    torch.testing.assert_close(elbo(model, x, n_samples=5, generator=0), model.exact_log_px(x))
    torch.testing.assert_close(iwae_bound(model, x, k=3, generator=0), model.exact_log_px(x))


@pytest.mark.parametrize(("latent", "mean_field"), [(1, True), (2, True), (2, False)])
def test_the_gap_is_the_closed_form_kl_to_the_posterior(latent, mean_field):
    shift = torch.tensor([0.3, -0.2][:latent], dtype=F64)
    model = LinearGaussian(latent=latent, q_shift=shift, q_scale=0.7, mean_field=mean_field)
    x = data(model)
    result = gap(model, x, tol=1e-4)
    exact_gap = model.exact_gap(x)
    assert (exact_gap > 0.1).all()
    torch.testing.assert_close(result.gap, exact_gap, atol=1e-3, rtol=0)
    torch.testing.assert_close(result.kl_to_posterior, result.gap, atol=1e-3, rtol=0)
    torch.testing.assert_close(result.elbo_exact, model.exact_log_px(x) - exact_gap, atol=1e-3, rtol=0)


def monte_carlo_sd(model, x, proposal, n=4000):
    """The sd of log p(x|z) under `proposal`, per sample: what a Monte-Carlo mean's error scales with."""
    z = proposal.sample((n,))
    return log_likelihood(model, x, z if z.dim() == 3 else z[:, None]).std(0)


def test_elbo_matches_the_closed_form_within_its_monte_carlo_error():
    model = wrong_q_model()
    x = data(model)
    n = 20_000
    exact = model.exact_log_px(x) - model.exact_gap(x)
    stderr = monte_carlo_sd(model, x, model.encode(x)) / n**0.5
    assert ((elbo(model, x, n_samples=n, generator=0) - exact).abs() < 5 * stderr).all()


def test_beta_scales_only_the_kl_and_a_seed_makes_draws_reproducible():
    model = wrong_q_model()
    x = data(model)
    state = torch.get_rng_state()
    q = model.encode(x)
    difference = elbo(model, x, 10, beta=0.0, generator=3) - elbo(model, x, 10, beta=2.0, generator=3)
    torch.testing.assert_close(difference, 2 * kl_divergence(q, model.prior))
    assert torch.equal(elbo(model, x, 10, generator=3), elbo(model, x, 10, generator=torch.Generator().manual_seed(3)))
    assert torch.equal(iwae_bound(model, x, 50, 2, generator=3), iwae_bound(model, x, 50, 2, generator=3))
    assert torch.equal(naive_bound(model, x, 100, generator=3), naive_bound(model, x, 100, generator=3))
    assert not torch.equal(elbo(model, x, 10, generator=3), elbo(model, x, 10, generator=4))
    assert torch.equal(torch.get_rng_state(), state)  # the global random state was not touched


def test_naive_bound_matches_its_closed_form():
    model = wrong_q_model()
    x = data(model)
    n = 50_000
    stderr = monte_carlo_sd(model, x, model.prior) / n**0.5
    assert ((naive_bound(model, x, n, generator=0) - model.exact_naive_bound(x)).abs() < 5 * stderr).all()


def test_iwae_rises_with_k_from_the_elbo_towards_log_px():
    model = wrong_q_model()
    x = data(model)
    log_px, elbo_exact = model.exact_log_px(x), model.exact_log_px(x) - model.exact_gap(x)
    means, stderrs = [], []
    for k, repeats in ((1, 4000), (10, 1000), (100, 200), (1000, 50)):
        spread = iwae_spread(model, x, k, repeats, generator=k)
        means.append(spread.mean)
        stderrs.append(spread.std / repeats**0.5)
    assert ((means[0] - elbo_exact).abs() < 5 * stderrs[0]).all()  # IWAE-1 is the ELBO in expectation
    for lower, higher, se_low, se_high in zip(means, means[1:], stderrs, stderrs[1:], strict=False):
        assert (higher - lower > -3 * (se_low**2 + se_high**2) ** 0.5).all()
    assert (means[-1] <= log_px + 3 * stderrs[-1]).all()
    assert (log_px - means[-1] < 0.1 * (log_px - elbo_exact)).all()  # most of the gap is closed at k = 1000


def test_naive_below_elbo_below_iwae_below_log_px():
    model = wrong_q_model()
    x = data(model)
    n = 20_000
    naive = naive_bound(model, x, n, generator=0)
    evidence_bound = elbo(model, x, n, generator=1)
    iwae = iwae_spread(model, x, 100, repeats=100, generator=2)
    log_px = model.exact_log_px(x)
    assert (naive < evidence_bound - 1).all()  # far apart: the prior is a poor proposal
    assert (evidence_bound < iwae.mean - 5 * iwae.std / 10).all()
    assert (iwae.mean < log_px + 3 * iwae.std / 10).all()


def test_iwae_spread_reports_the_spread_and_refuses_a_single_repeat():
    model = wrong_q_model()
    x = data(model)
    spread = iwae_spread(model, x, 5000, repeats=3, generator=0)
    assert spread.mean.shape == spread.std.shape == (3,) and (spread.std > 0).all()
    with pytest.raises(ValueError, match="at least 2 repeats"):
        iwae_spread(model, x, 10, repeats=1)
    with pytest.raises(ValueError, match="k ≥ 1"):
        iwae_bound(model, x, 0)


def test_the_bounds_work_for_any_latent_size_but_the_gap_needs_quadrature():
    model = LinearGaussian(latent=3)
    x = data(model)
    torch.testing.assert_close(iwae_bound(model, x, k=4, generator=0), model.exact_log_px(x))
    assert (naive_bound(model, x, 1000, generator=0) < model.exact_log_px(x)).all()
    with pytest.raises(ValueError, match="1-D or 2-D latent"):
        gap(model, x)


def test_on_the_mnist_vae_the_gap_agrees_both_ways_and_the_bounds_are_ordered():
    model, images = shipped_mnist_vae_2d()  # binarised: a Bernoulli decoder's log p(x) is of binary images
    x = images[:2]
    result = gap(model, x)
    torch.testing.assert_close(result.kl_to_posterior, result.gap, atol=0.01, rtol=0)
    assert (result.gap > 0).all()
    n = 1000
    stderr = monte_carlo_sd(model, x, model.encode(x), n=n) / n**0.5
    assert ((elbo(model, x, n, generator=0) - result.elbo_exact).abs() < 5 * stderr).all()
    iwae = iwae_spread(model, x, 5000, repeats=3, generator=0)
    assert (naive_bound(model, x, n, generator=0) < result.elbo_exact).all()
    assert (result.elbo_exact < iwae.mean).all() and (iwae.mean < result.log_px + 3 * iwae.std).all()
