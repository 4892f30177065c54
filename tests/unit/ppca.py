"""Probabilistic PCA (Tipping & Bishop 1999), the closed-form oracle of the likelihood and bounds tests.

z ~ N(0, I_J), x|z ~ N(Wz + b, s² I_D), so p(x) = N(b, WWᵀ + s²I) and
p(z|x) = N(M⁻¹Wᵀ(x − b), s² M⁻¹) with M = WᵀW + s²I.
"""

import math

import torch
from torch import nn
from torch.distributions import Independent, MultivariateNormal, Normal, kl_divergence

F64 = torch.float64


def standard_normal(dim: int) -> Independent:
    return Independent(Normal(torch.zeros(dim, dtype=F64), torch.ones(dim, dtype=F64)), 1)


class LinearGaussian(nn.Module):
    """`encode` returns the exact posterior (full covariance), or a deliberately wrong q: its mean
    moved by `q_shift`, its sds times `q_scale`, and with `mean_field` only the diagonal kept."""

    def __init__(self, latent: int = 2, observed: int = 5, noise: float = 0.3, seed: int = 0,
                 q_shift=0.0, q_scale: float = 1.0, mean_field: bool = False):
        super().__init__()
        generator = torch.Generator().manual_seed(seed)
        self.register_buffer("W", torch.randn(observed, latent, generator=generator, dtype=F64))
        self.register_buffer("b", torch.randn(observed, generator=generator, dtype=F64))
        self.noise, self.q_shift, self.q_scale, self.mean_field = noise, q_shift, q_scale, mean_field

    @property
    def prior(self):
        return standard_normal(self.W.shape[1])

    def decode(self, z):
        mean = z @ self.W.T + self.b
        return Independent(Normal(mean, torch.full_like(mean, self.noise)), 1)

    def posterior(self, x):
        m = self.W.T @ self.W + self.noise**2 * torch.eye(self.W.shape[1], dtype=F64)
        mean = torch.linalg.solve(m, self.W.T @ (x - self.b).T).T
        return MultivariateNormal(mean, self.noise**2 * torch.linalg.inv(m))

    def q_as_full_gaussian(self, x):
        exact = self.posterior(x)
        cov = exact.covariance_matrix * self.q_scale**2
        cov = torch.diag_embed(cov.diagonal(dim1=-2, dim2=-1)) if self.mean_field else cov
        return MultivariateNormal(exact.mean + self.q_shift, cov.expand(len(x), -1, -1))

    def encode(self, x):
        q = self.q_as_full_gaussian(x)
        return Independent(Normal(q.mean, q.stddev), 1) if self.mean_field else q

    def exact_log_px(self, x):
        cov = self.W @ self.W.T + self.noise**2 * torch.eye(self.W.shape[0], dtype=F64)
        return MultivariateNormal(self.b, cov).log_prob(x)

    def exact_gap(self, x):
        return kl_divergence(self.q_as_full_gaussian(x), self.posterior(x))

    def exact_naive_bound(self, x):
        """E_p(z) log N(x; Wz + b, s²I) = −D/2 log 2πs² − (‖x − b‖² + tr WᵀW) / 2s², since z ~ N(0, I)."""
        square = (x - self.b).pow(2).sum(1) + self.W.pow(2).sum()
        return -self.W.shape[0] / 2 * math.log(2 * math.pi * self.noise**2) - square / (2 * self.noise**2)

    def data(self, n: int, far: tuple[float, ...] = ()) -> torch.Tensor:
        """n draws of x, then one x per value in `far` decoded from z = (far, -far/2, ...)[:J] plus noise."""
        generator = torch.Generator().manual_seed(1)
        z = torch.randn(n, self.W.shape[1], generator=generator, dtype=F64)
        far_z = torch.tensor([[v, -v / 2][: self.W.shape[1]] for v in far], dtype=F64).reshape(-1, self.W.shape[1])
        z = torch.cat([z, far_z])
        return z @ self.W.T + self.b + self.noise * torch.randn(len(z), self.W.shape[0], generator=generator, dtype=F64)
