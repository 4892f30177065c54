"""The deterministic autoencoder: the lecture's starting point, whose latent space has holes.

z = f(x) and x_hat = g(z), trained on reconstruction alone. Nothing asks the codes to fill
N(0, I), so decoding prior samples shows the holes the VAE's KL term closes.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch.distributions import Distribution

from explorer.models.base import Capabilities, Terms
from explorer.models.common import MLPLatentModel, PointMass, mlp, reconstruction_nll


@dataclass(frozen=True)
class AEConfig:
    x_dim: int = 784
    z_dim: int = 2
    hidden: tuple[int, ...] = (512, 256)
    likelihood: str = "bernoulli"  # the reconstruction loss: cross-entropy or (scaled) L2
    decoder_sigma: float = 0.1
    image_shape: tuple[int, int] | None = (28, 28)


class Autoencoder(MLPLatentModel):
    kind = "ae"
    capabilities = Capabilities(has_elbo=False, continuous_latent=True, categorical_latent=False,
                                point_mass_posterior=True)

    def __init__(self, config: AEConfig):
        super().__init__(config)
        self.encoder = mlp((config.x_dim, *config.hidden, config.z_dim))

    def encode(self, x: torch.Tensor) -> Distribution:
        """A point mass at f(x): batch shape (B,), event shape (z_dim,)."""
        return PointMass(self.encoder(x))

    def loss(
        self, x: torch.Tensor, *, decoder_sigma: float | None = None, reduce: bool = True,
        generator: torch.Generator | None = None,
    ) -> Terms:
        """recon = -log p(x | z = f(x)) in nats; it is also the loss. An AE has no KL and no ELBO, and draws
        nothing (`generator` is there for the shared interface)."""
        recon = reconstruction_nll(
            self.decoder(self.encoder(x)), x, self.config.likelihood, self._sigma(decoder_sigma)
        )
        return Terms.of({"loss": recon, "recon": recon}, reduce)
