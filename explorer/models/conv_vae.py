"""A convolutional Gaussian VAE with the VQ-VAE's own encoder and decoder (Kingma & Welling, "Auto-Encoding
Variational Bayes", 2014), the fair partner of the VQ-VAE (van den Oord, Vinyals & Kavukcuoglu, "Neural
Discrete Representation Learning", NeurIPS 2017) in the lecture's "blurry vs sharp" comparison.

x -> `conv_encoder` (2·D output channels) -> mu, logvar at every position of the (H', W') grid ->
z = mu + sigma · eps (reparameterized) -> `conv_decoder` -> p(x | z), Bernoulli for images in [0, 1].
The layers are those of `explorer.models.vqvae` with the same `hidden` and code_dim, except that the
encoder's last 1×1 convolution gives mu and logvar instead of z_e: the latent is the only difference.
q(z|x) = Π_positions N(mu, diag sigma²), p(z) = N(0, I), KL in closed form summed over the grid;
beta (Higgins et al. 2017) is an argument of `loss`, so a slider acts on a running model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn
from torch.distributions import Distribution, Independent, Normal

from explorer.maths.objectives import kl_normal_standard_per_unit
from explorer.models.base import Capabilities, Terms
from explorer.models.common import DecoderHead, reconstruction_nll
from explorer.models.noise import normal, normal_like
from explorer.models.vae import LOGVAR_MAX, LOGVAR_MIN
from explorer.models.vqvae import VQVAEConfig, check_config, conv_decoder, conv_encoder


@dataclass(frozen=True)
class ConvVAEConfig:
    x_dim: int = 784
    image_shape: tuple[int, int] | None = (28, 28)
    code_dim: int = 16  # D: Gaussian units at every grid position
    hidden: tuple[int, ...] = (32, 64)  # channels of the stride-2 layers, as the VQ-VAE's
    likelihood: str = "bernoulli"  # "bernoulli" for images in [0, 1], "gaussian" with decoder_sigma
    decoder_sigma: float = 0.1

    def vq_config(self, **options) -> VQVAEConfig:
        """The VQ-VAE with the same encoder and decoder; `options` are its codebook settings."""
        return VQVAEConfig(x_dim=self.x_dim, image_shape=self.image_shape, arch="conv", code_dim=self.code_dim,
                           hidden=self.hidden, likelihood=self.likelihood, decoder_sigma=self.decoder_sigma,
                           **options)

    @property
    def z_dim(self) -> int:
        """Latent units in all: H'·W'·D (a property, not a field: z is a grid, not a vector)."""
        return math.prod(check_config(self.vq_config())) * self.code_dim


class ConvVAE(DecoderHead, nn.Module):
    """encode(x) gives q(z|x) over the (H', W', D) grid, decode(z) gives p(x|z), `prior` is N(0, I)."""

    kind = "convvae"
    capabilities = Capabilities(has_elbo=True, continuous_latent=True, categorical_latent=False)

    def __init__(self, config: ConvVAEConfig):
        super().__init__()
        self.latent_shape = check_config(config.vq_config())  # (H', W'), with the VQ-VAE's messages
        self.config = config
        self.encoder = conv_encoder(config.hidden, 2 * config.code_dim)  # mu and logvar side by side
        self.decoder = conv_decoder(config.hidden, config.code_dim)
        self.register_buffer("prior_loc", torch.zeros(*self.latent_shape, config.code_dim))
        self.register_buffer("prior_scale", torch.ones(*self.latent_shape, config.code_dim))

    @property
    def event_shape(self) -> tuple[int, ...]:
        """The shape of one z: (H', W', D)."""
        return (*self.latent_shape, self.config.code_dim)

    def encoder_params(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, x_dim) -> mu (B, H', W', D), logvar (B, H', W', D), channels last as the VQ-VAE's z_e."""
        images = x.reshape(x.shape[0], 1, *self.config.image_shape)  # (B, 784) -> (B, 1, 28, 28)
        h = self.encoder(images).permute(0, 2, 3, 1)  # (B, 2D, 7, 7) -> (B, 7, 7, 2D)
        mu, logvar = h.chunk(2, dim=-1)  # (B, 7, 7, 2D) -> 2 × (B, 7, 7, D)
        return mu, logvar.clamp(LOGVAR_MIN, LOGVAR_MAX)

    def encode(self, x: torch.Tensor) -> Distribution:
        """q(z|x): batch shape (B,), event shape (H', W', D)."""
        mu, logvar = self.encoder_params(x)
        return Independent(Normal(mu, (0.5 * logvar).exp()), 3)

    def _decoder_param(self, z: torch.Tensor) -> torch.Tensor:
        """Logits or means (B, x_dim) of p(x|z) for z (B, H', W', D)."""
        if tuple(z.shape[1:]) != self.event_shape:
            raise ValueError(f"decode takes z of shape (B, {', '.join(map(str, self.event_shape))}), "
                             f"not {tuple(z.shape)}")
        x_param = self.decoder(z.permute(0, 3, 1, 2))  # (B, 7, 7, D) -> (B, D, 7, 7) -> (B, 1, 28, 28)
        return x_param.reshape(z.shape[0], self.config.x_dim)  # (B, 1, 28, 28) -> (B, 784)

    @property
    def prior(self) -> Distribution:
        """p(z) = N(0, I) over the grid: batch shape (), event shape (H', W', D)."""
        return Independent(Normal(self.prior_loc, self.prior_scale), 3)

    @torch.no_grad()
    def sample(self, n: int, *, generator: torch.Generator | None = None) -> torch.Tensor:
        """Decoded means of n draws z ~ p(z), (n, x_dim)."""
        return self.decode_mean(normal((n, *self.event_shape), self.prior_loc, generator))

    def loss(self, x: torch.Tensor, *, beta: float = 1.0, decoder_sigma: float | None = None,
             reduce: bool = True, generator: torch.Generator | None = None) -> Terms:
        """Named terms of the (beta-)ELBO with one reparameterized sample, in nats: recon = −log p(x|z),
        z = mu + sigma · eps; kl = KL(q(z|x) ‖ N(0, I)) in closed form, summed over positions and units;
        elbo = −(recon + kl); loss = recon + beta · kl. Means over the batch, or (B,) with reduce=False; eps is
        drawn from `generator`."""
        mu, logvar = self.encoder_params(x)
        z = mu + (0.5 * logvar).exp() * normal_like(mu, generator)
        recon = reconstruction_nll(self._decoder_param(z), x, self.config.likelihood, self._sigma(decoder_sigma))
        kl = kl_normal_standard_per_unit(mu, logvar).sum(dim=(1, 2, 3))  # (B, 7, 7, D) -> (B,)
        return Terms.of({"loss": recon + beta * kl, "recon": recon, "kl": kl, "elbo": -(recon + kl)}, reduce)
