"""Exact log p(x) by adaptive quadrature, against closed forms (probabilistic PCA, a folded
two-mode model) and against brute-force uniform grids on the shipped 2-D MNIST VAE."""

import math
import warnings

import pytest
import torch
from ppca import LinearGaussian, standard_normal
from shipped import shipped_mnist_vae_2d
from torch import nn
from torch.distributions import Bernoulli, Independent, MultivariateNormal, Normal

from explorer.maths.likelihood import log_joint, log_likelihood, log_marginal, posterior_grid

F64 = torch.float64


class NoEncoder(LinearGaussian):
    def encode(self, x):
        raise NotImplementedError("this model has no encoder")


class Folded(nn.Module):
    """Two narrow posterior modes: z ~ N(0, I_2), x|z ~ N((|z1 − c|, z2), s² I).

    For x1 ≫ s the posterior has modes at z1 = c ± x1 with unequal prior weight; q sits on the
    lighter one only. With u = z1 − c and both signs of u folded onto v > 0,
    p(x1) = Σ_{μ = ±c} ∫_0^∞ N(x1; v, s²) N(v; μ, 1) dv = Σ_μ N(x1; μ, 1 + s²) Φ(m_μ / √(s²/(1+s²))),
    m_μ = (x1 + μ s²) / (1 + s²), and p(x2) = N(x2; 0, 1 + s²).
    """

    def __init__(self, shift: float = 0.3, noise: float = 0.02):
        super().__init__()
        self.shift, self.noise = shift, noise

    prior = property(lambda self: standard_normal(2))

    def decode(self, z):
        mean = torch.stack([(z[:, 0] - self.shift).abs(), z[:, 1]], 1)
        return Independent(Normal(mean, torch.full_like(mean, self.noise)), 1)

    def encode(self, x):
        shrink = 1 + self.noise**2
        mean = torch.stack([self.shift + x[:, 0], x[:, 1] / shrink], 1)
        return Independent(Normal(mean, torch.full_like(mean, self.noise / shrink**0.5)), 1)

    def mode_log_masses(self, x):
        """log of each mode's share of p(x1), (B, 2): [the mode q covers, the one it misses]."""
        var, post_sd = 1 + self.noise**2, self.noise / (1 + self.noise**2) ** 0.5
        terms = []
        for mu in (-self.shift, self.shift):  # u = z1 - c ~ N(-c, 1): v = u > 0 has μ = -c, v = -u > 0 has μ = c
            m = (x[:, 0] + mu * self.noise**2) / var
            terms.append(Normal(mu, var**0.5).log_prob(x[:, 0]) + Normal(0.0, 1.0).cdf(m / post_sd).log())
        return torch.stack(terms, 1)

    def exact_log_px(self, x):
        log_p2 = Normal(0.0, (1 + self.noise**2) ** 0.5).log_prob(x[:, 1])
        return torch.logsumexp(self.mode_log_masses(x), 1) + log_p2


class ThreeLatents(LinearGaussian):
    def __init__(self):
        super().__init__(latent=3)


def uniform_grid_log_px(model, x, lo, hi, step):
    """Brute force: the midpoint rule on a uniform grid of spacing `step` over the box [lo, hi], per sample."""
    axes = [torch.arange(a + step / 2, b, step, dtype=F64) for a, b in zip(lo, hi, strict=True)]
    z = torch.cartesian_prod(*axes).reshape(-1, 1, len(axes))
    return torch.logsumexp(log_joint(model, x, z), 0) + len(axes) * math.log(step)


@pytest.mark.parametrize("latent", [1, 2])
@pytest.mark.parametrize("noise", [0.3, 0.03])
def test_log_marginal_matches_the_closed_form_of_probabilistic_pca(latent, noise):
    model = LinearGaussian(latent=latent, noise=noise)
    x = model.data(4, far=(4.0, -7.0))  # the last posterior sits 7 prior sds out, beyond the prior's box
    log_px, error = log_marginal(model, x, tol=1e-3, return_error=True)
    assert log_px.dtype == F64 and log_px.shape == error.shape == (6,)
    torch.testing.assert_close(log_px, model.exact_log_px(x), atol=1e-3, rtol=0)
    assert (error < 1e-3).all(), error


def test_without_an_encoder_the_box_grows_until_it_holds_the_mass():
    model = NoEncoder(noise=0.1)
    x = model.data(2, far=(8.0,))
    torch.testing.assert_close(log_marginal(model, x, tol=1e-3), model.exact_log_px(x), atol=1e-3, rtol=0)


def test_one_sample_or_a_batch_give_the_same_answer():
    model = LinearGaussian(noise=0.05)
    x = model.data(5)
    batch = log_marginal(model, x, tol=1e-3)
    alone = torch.cat([log_marginal(model, x[i : i + 1], tol=1e-3) for i in range(len(x))])
    torch.testing.assert_close(batch, alone, atol=1e-3, rtol=0)


@pytest.mark.parametrize("noise", [0.01, 0.005])  # posterior sds 1/20 and 1/40 of a coarse cell
def test_a_mode_that_q_misses_is_still_found(noise):
    model = Folded(noise=noise)
    generator = torch.Generator().manual_seed(0)
    x = torch.rand(12, 2, generator=generator, dtype=F64) * torch.tensor([1.2, 2.0]) + torch.tensor([0.7, -1.0])
    masses = model.mode_log_masses(x)
    assert (masses[:, 1] > masses[:, 0]).all()  # q covers the lighter mode: missing the other costs > 0.69 nats
    exact = model.exact_log_px(x)
    torch.testing.assert_close(log_marginal(model, x, tol=1e-3), exact, atol=1e-3, rtol=0)
    for row in range(2):  # brute force over a band holding both modes (z2's posterior sd is `noise`)
        z2 = float(x[row, 1]) / (1 + noise**2)
        brute = uniform_grid_log_px(model, x[row : row + 1], (-3.0, z2 - 12 * noise), (3.0, z2 + 12 * noise), noise / 2)
        torch.testing.assert_close(brute, exact[row : row + 1], atol=1e-3, rtol=0)


def test_posterior_grid_holds_both_modes_of_the_folded_model():
    model = Folded()
    x = torch.tensor([1.2, 0.4], dtype=F64)
    grid = posterior_grid(model, x, n=400)
    density = grid.log_density.exp()
    cell = float((grid.z1[1] - grid.z1[0]) * (grid.z2[1] - grid.z2[0]))
    assert abs(float(density.sum()) * cell - 1) < 1e-3
    covered = float(density[:, grid.z1 > model.shift].sum()) * cell  # columns are z1
    expected = torch.softmax(model.mode_log_masses(x[None]), 1)[0, 0]
    assert abs(covered - float(expected)) < 1e-3, (covered, expected)


@pytest.mark.parametrize("latent", [1, 2])
def test_posterior_grid_is_the_closed_form_posterior(latent):
    model = LinearGaussian(latent=latent, noise=0.2)
    x = model.data(1, far=(3.0,))[-1]
    grid = posterior_grid(model, x, n=200)
    posterior = model.encode(x[None])
    torch.testing.assert_close(grid.log_px, model.exact_log_px(x), atol=1e-3, rtol=0)
    if latent == 1:
        z, weight = grid.z1[:, None], grid.log_density.exp() * (grid.z1[1] - grid.z1[0])
    else:
        z = torch.cartesian_prod(grid.z2, grid.z1).flip(1)  # rows of log_density are z2
        weight = grid.log_density.exp().reshape(-1) * (grid.z1[1] - grid.z1[0]) * (grid.z2[1] - grid.z2[0])
    mean = weight @ z
    cov = (weight[:, None] * (z - mean)).T @ (z - mean)
    assert abs(float(weight.sum()) - 1) < 1e-3
    sd = posterior.covariance_matrix[0].diagonal().sqrt()
    torch.testing.assert_close(mean, posterior.mean[0], atol=float(1e-3 * sd.min()), rtol=0)
    torch.testing.assert_close(cov, posterior.covariance_matrix[0], atol=float(1e-3 * sd.min() ** 2), rtol=0)
    explicit = posterior_grid(model, x, extent=[(float(mean[j] - 8 * sd[j]), float(mean[j] + 8 * sd[j]))
                                                for j in range(latent)], n=50)
    assert explicit.log_density.shape == (50,) * latent and (explicit.z2 is None) == (latent == 1)


def test_log_joint_broadcasts_and_every_decoder_family_scores_alike():
    model = LinearGaussian()
    x, z = model.data(3), torch.randn(7, 2, dtype=F64)
    shared = log_joint(model, x, z[:, None])
    assert shared.shape == (7, 3) and log_joint(model, x, z[0]).shape == (3,)
    paired = log_joint(model, x, z[:, None].expand(7, 3, 2))
    torch.testing.assert_close(paired, shared)
    manual = model.decode(z).log_prob(x[:, None]).T + model.prior.log_prob(z)[:, None]
    torch.testing.assert_close(shared, manual)

    class FullCovariance(LinearGaussian):  # a family without a fast path: scored by broadcasting log_prob
        def decode(self, z):
            return MultivariateNormal(z @ self.W.T + self.b, self.noise**2 * torch.eye(self.W.shape[0], dtype=F64))

    slow = FullCovariance()
    torch.testing.assert_close(log_likelihood(slow, x, z[:, None]), log_likelihood(model, x, z[:, None]))
    torch.testing.assert_close(log_likelihood(slow, x, z[:3]), log_likelihood(model, x, z[:3]))

    class Pixels(nn.Module):  # a float32 Bernoulli decoder: a mass function on binary images
        def __init__(self):
            super().__init__()
            self.register_buffer("A", torch.randn(2, 5))

        def decode(self, z):
            return Independent(Bernoulli(logits=z @ self.A, validate_args=False), 1)

    pixels, z32, images = torch.rand(3, 5).round(), z.float(), Pixels()
    expected = images.decode(z32).log_prob(pixels[:, None]).T.double()  # (7, 3)
    torch.testing.assert_close(log_likelihood(images, pixels, z32[:, None]), expected, atol=1e-4, rtol=0)
    torch.testing.assert_close(log_likelihood(images, pixels, z32[:3]), expected.diagonal(), atol=1e-4, rtol=0)


def test_running_out_of_points_warns_with_the_error_estimate():
    model = LinearGaussian(noise=0.01)
    with pytest.warns(RuntimeWarning, match="did not reach tol"):
        _, error = log_marginal(model, model.data(1), max_points=1000, return_error=True)
    assert (error > 0.01).all()


def test_a_three_dimensional_latent_is_refused_clearly():
    model, x = ThreeLatents(), torch.zeros(1, 5, dtype=F64)
    with pytest.raises(ValueError, match="1-D or 2-D latent"):
        log_marginal(model, x)
    with pytest.raises(ValueError, match="1-D or 2-D latent"):
        posterior_grid(model, x[0])


@pytest.fixture(scope="module")
def mnist_vae():
    return shipped_mnist_vae_2d()


def test_the_mnist_vae_matches_a_fine_uniform_grid(mnist_vae):
    """Held-out images 65, 89 and 931; with the model of this writing: two modes holding 84% and
    16% of the mass; a posterior where two levels of 1 sd cells agreed by chance 0.009 nats off
    the answer; and the narrowest q of the split (sd 0.006)."""
    model, images = mnist_vae
    x = images[[65, 89, 931]]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning: the tolerance was reached
        log_px, error = log_marginal(model, x, return_error=True)
    assert (error < 0.01).all(), error
    # brute force: a 0.05 grid over [-6, 6]² finds the cells within 25 nats of the top (a peak of
    # sd 0.006 shows at most 17 nats less at the nearest centre); those and their neighbours are
    # integrated on the uniform lattice of spacing 0.05 / 16 (half the narrowest sd)
    step, fine, side = 0.05, 0.05 / 16, 240
    axis = torch.arange(-6 + step / 2, 6, step, dtype=F64)
    centres = torch.cartesian_prod(axis, axis)
    log_f = log_joint(model, x, centres[:, None]).T.reshape(len(x), 1, side, side)
    near_top = log_f >= log_f.amax((2, 3), keepdim=True) - 25
    region = torch.nn.functional.max_pool2d(near_top.double(), 3, stride=1, padding=1) > 0
    offsets = torch.cartesian_prod(*[torch.arange(16, dtype=F64) * fine - step / 2 + fine / 2] * 2)
    for row in range(len(x)):
        z = (centres[region[row].reshape(-1)][:, None] + offsets).reshape(-1, 1, 2)
        brute = torch.logsumexp(log_joint(model, x[row : row + 1], z)[:, 0], 0) + 2 * math.log(fine)
        assert abs(float(brute - log_px[row])) < 0.01, (row, float(brute), float(log_px[row]))
