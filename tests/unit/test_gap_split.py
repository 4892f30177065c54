"""The gap, decomposed (issue 20, new item): approximation + amortization gap (Cremer, Li & Duvenaud 2018) against
the closed forms of probabilistic PCA, whose posterior N(m, S) is Gaussian, so a full-covariance q* is exact and
the best diagonal q* has precisions diag(S⁻¹); and the picture of the posterior frames q too (item 13)."""

from __future__ import annotations

import pytest
import torch
from ppca import LinearGaussian
from shipped import shipped_mnist_vae_2d

from explorer.maths import gap, likelihood

F64 = torch.float64


def correlated(latent: int = 2, **options) -> LinearGaussian:
    """PPCA whose posterior has correlation 0.28 (seed 3): the best diagonal q misses 0.04 nats; the encoder's q
    is mean-field, moved and too narrow, a gap of 1.4 nats."""
    shift = torch.tensor([0.3, -0.2][:latent], dtype=F64)
    return LinearGaussian(latent=latent, noise=0.5, seed=3, q_shift=shift, q_scale=0.7, mean_field=True, **options)


def closed_form_diagonal_kl(model: LinearGaussian, x: torch.Tensor) -> torch.Tensor:
    """min over diagonal q of KL(q ‖ N(m, S)) = ½ [Σ_i log Λ_ii − log det Λ], Λ = S⁻¹, at q = N(m, diag(1/Λ_ii)):
    KL(q ‖ p) = ½ [tr(ΛD) − J + log det S − log det D], and with D_ii = 1/Λ_ii, tr(ΛD) = J."""
    precision = torch.linalg.inv(model.posterior(x).covariance_matrix)
    return 0.5 * (precision.diagonal(dim1=-2, dim2=-1).log().sum(-1) - torch.logdet(precision))


@pytest.mark.parametrize("latent", [1, 2])
def test_a_full_covariance_q_star_is_the_gaussian_posterior(latent):
    model = correlated(latent)
    x = model.data(3)
    split = gap.decompose(model, x, diagonal=False, integrated=likelihood.quadrature(model, x, tol=1e-5))
    assert split.approximation.abs().max() < 1e-3, split.approximation
    posterior = model.posterior(x)
    torch.testing.assert_close(split.q_star_mean, posterior.mean, atol=1e-3, rtol=0)
    torch.testing.assert_close(split.q_star_cov, posterior.covariance_matrix, atol=1e-3, rtol=1e-3)
    torch.testing.assert_close(split.gap, model.exact_gap(x), atol=1e-3, rtol=0)
    torch.testing.assert_close(split.approximation + split.amortization, split.gap, atol=1e-12, rtol=0)


def test_a_mean_field_q_star_misses_exactly_the_closed_form_kl_to_the_best_diagonal_gaussian():
    model = correlated()
    x = model.data(3)
    split = gap.decompose(model, x, diagonal=True, integrated=likelihood.quadrature(model, x, tol=1e-5))
    expected = closed_form_diagonal_kl(model, x)
    assert (expected > 0.03).all()
    torch.testing.assert_close(split.approximation, expected, atol=1e-3, rtol=0)
    precision = torch.linalg.inv(model.posterior(x).covariance_matrix)
    torch.testing.assert_close(split.q_star_cov, torch.diag_embed(1 / precision.diagonal(dim1=-2, dim2=-1)),
                               atol=1e-3, rtol=1e-3)
    torch.testing.assert_close(split.amortization, model.exact_gap(x) - expected, atol=1e-3, rtol=0)
    torch.testing.assert_close(split.approximation + split.amortization, split.gap, atol=1e-12, rtol=0)


@pytest.mark.parametrize("diagonal", [True, False])
def test_adam_reaches_q_star_from_the_encoders_q_alone_without_touching_the_global_generator(diagonal):
    """The moment-matched start is already q* for a Gaussian posterior: start from the encoder's q only, which
    is 0.6 posterior sds off and 30% too narrow, so the optimiser has to do the work."""
    model = correlated()
    x = model.data(2)
    integrated = likelihood.quadrature(model, x, tol=1e-5)
    q_mean, q_tril = gap.gaussian_params(model.encode(x))
    state = torch.get_rng_state()
    mean, scale_tril = gap.fit(integrated.cells, q_mean[None], q_tril[None], diagonal)
    assert torch.equal(torch.get_rng_state(), state)
    elbo_star = gap.gaussian_elbo(model, x, mean, scale_tril)
    expected = closed_form_diagonal_kl(model, x) if diagonal else torch.zeros(2, dtype=F64)
    torch.testing.assert_close(integrated.log_px - elbo_star, expected, atol=2e-3, rtol=0)


def test_gaussian_elbo_is_log_px_minus_the_closed_form_gap():
    model = correlated()
    x = model.data(3)
    mean, scale_tril = gap.gaussian_params(model.encode(x))
    expected = model.exact_log_px(x) - model.exact_gap(x)
    torch.testing.assert_close(gap.gaussian_elbo(model, x, mean, scale_tril), expected)


@pytest.fixture
def mnist_vae(mnist_dir):
    return shipped_mnist_vae_2d()


def test_on_mnist_both_parts_are_non_negative_and_the_large_gaps_are_amortization(mnist_vae):
    """Images 0 and 189: a gap of 0.4 and of 126 nats; the Gaussian family costs < 0.1 nats on both."""
    model, images = mnist_vae
    split = gap.decompose(model, images[[0, 189]])
    assert (split.approximation > -1e-6).all() and (split.amortization >= 0).all(), split
    assert (split.approximation < 0.1).all() and split.amortization[1] > 100, split
    torch.testing.assert_close(split.approximation + split.amortization, split.gap, atol=1e-9, rtol=0)


def inside(grid: likelihood.PosteriorGrid, mean: torch.Tensor, sd: torch.Tensor, radius: float) -> bool:
    lo, hi = mean - radius * sd, mean + radius * sd
    return bool(grid.z1[0] <= lo[0] and hi[0] <= grid.z1[-1] and grid.z2[0] <= lo[1] and hi[1] <= grid.z2[-1])


def test_the_posterior_grid_frames_a_q_that_missed_the_posterior():
    """A constructed miss: q sits 3 prior sds away from a narrow posterior."""
    model = LinearGaussian(noise=0.1, q_shift=torch.tensor([0.0, -3.0], dtype=F64), mean_field=True)
    x = model.data(1)
    q = model.encode(x)
    grid = likelihood.posterior_grid(model, x[0], n=40)
    assert inside(grid, q.mean[0], q.stddev[0], 2.5)
    posterior_sd = model.posterior(x).covariance_matrix[0].diagonal().sqrt()
    assert inside(grid, model.posterior(x).mean[0], posterior_sd, 4)  # and the posterior's mass, still


def test_the_posterior_grid_of_mnist_image_189_shows_q(mnist_vae):
    """Image 189: q at (−0.44, −0.75), sds (0.04, 0.06), a gap of 126 nats; the posterior's mass alone spans
    z₂ ∈ [−0.20, 0.02], so a box fitted to it hid q entirely."""
    model, images = mnist_vae
    q = model.encode(images[189][None])
    grid = likelihood.posterior_grid(model, images[189], n=40)
    assert inside(grid, q.mean[0].double(), q.stddev[0].double(), 2.5)
