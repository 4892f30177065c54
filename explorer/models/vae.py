"""The Gaussian VAE with MLP encoder and decoder (Kingma & Welling, "Auto-Encoding Variational
Bayes", 2014).

q(z|x) = N(mu(x), diag sigma(x)²), p(z) = N(0, I), p(x|z) Bernoulli (images) or Gaussian with a
decoder sigma (points). The knobs the lecture turns live, beta (Higgins et al. 2017) and
decoder_sigma, are arguments of `loss`, so a slider acts on the next step of a running model.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch.distributions import Distribution, Independent, Normal

from explorer.maths.objectives import kl_normal_standard_per_unit
from explorer.models.base import Capabilities, Terms
from explorer.models.common import MLPLatentModel, mlp, reconstruction_nll
from explorer.models.noise import normal_like

# exp(0.5 * logvar) stays finite and nonzero in float32 for any encoder output, even while a
# run with an extreme learning rate is about to diverge.
LOGVAR_MIN, LOGVAR_MAX = -30.0, 20.0


@dataclass(frozen=True)
class VAEConfig:
    x_dim: int = 784
    z_dim: int = 2
    hidden: tuple[int, ...] = (512, 256)
    likelihood: str = "bernoulli"  # "bernoulli" for images in [0, 1], "gaussian" for points
    decoder_sigma: float = 0.1  # default std of the Gaussian decoder; the loss can override it
    image_shape: tuple[int, int] | None = (28, 28)


class VAE(MLPLatentModel):
    kind = "vae"

    def __init__(self, config: VAEConfig):
        super().__init__(config)
        # one head outputs mu and logvar side by side
        self.encoder = mlp((config.x_dim, *config.hidden, 2 * config.z_dim))

    @property
    def capabilities(self) -> Capabilities:
        """A Gaussian latent; with 1 or 2 units log p(x) is exact by quadrature (`explorer.maths.likelihood`)."""
        return Capabilities(has_elbo=True, continuous_latent=True, categorical_latent=False,
                            exact_likelihood=self.config.z_dim <= 2)

    def encoder_params(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, x_dim) -> mu (B, z_dim), logvar (B, z_dim)."""
        mu, logvar = self.encoder(x).chunk(2, dim=-1)
        return mu, logvar.clamp(LOGVAR_MIN, LOGVAR_MAX)

    def encode(self, x: torch.Tensor) -> Distribution:
        """q(z|x): batch shape (B,), event shape (z_dim,)."""
        mu, logvar = self.encoder_params(x)
        return Independent(Normal(mu, (0.5 * logvar).exp()), 1)

    def loss(
        self, x: torch.Tensor, *, beta: float = 1.0, decoder_sigma: float | None = None, free_bits: float = 0.0,
        reduce: bool = True, generator: torch.Generator | None = None,
    ) -> Terms:
        """Named terms of the (beta-)ELBO with one reparameterized sample, in nats.

        recon = -log p(x|z) with z = mu + sigma * eps, eps ~ N(0, I) (the reparameterization
        trick: z is a differentiable function of mu and sigma); kl = KL(q(z|x) || p(z)) in closed
        form; elbo = -(recon + kl) <= log p(x); loss = recon + beta * kl is what is minimized.
        With free_bits = λ > 0 the penalty is Σ_u max(λ, mean_batch KL_u) instead (Kingma et al.
        2016, "Improved Variational Inference with Inverse Autoregressive Flow"): a unit's first λ
        nats are free, so the optimizer gains nothing by collapsing it to the prior.
        Means over the batch, or (B,) tensors with reduce=False; eps is drawn from `generator`.
        """
        mu, logvar = self.encoder_params(x)
        z = mu + (0.5 * logvar).exp() * normal_like(mu, generator)
        recon = reconstruction_nll(self.decoder(z), x, self.config.likelihood, self._sigma(decoder_sigma))
        kl_units = kl_normal_standard_per_unit(mu, logvar)  # (B, J)
        kl = kl_units.sum(dim=-1)
        penalty = kl if free_bits <= 0 else kl_units.mean(dim=0).clamp_min(free_bits).sum().expand_as(kl)
        return Terms.of({"loss": recon + beta * penalty, "recon": recon, "kl": kl, "elbo": -(recon + kl)}, reduce)
