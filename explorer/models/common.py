"""Pieces shared by the models: the network builder, the decoder likelihoods, a point mass and the decoder head.

Every model follows one protocol (`explorer.models.base.LatentModel`): `encode(x)` and `decode(z)` return
`torch.distributions` objects, `prior` is a distribution over z, and `loss(x, *, generator=None, **knobs)`
returns `Terms`, named per-sample-mean terms in nats; its noise comes from `generator` (`explorer.models.noise`).
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.distributions import Bernoulli, Distribution, Independent, Normal, constraints

from explorer.models.noise import normal

LIKELIHOODS = ("bernoulli", "gaussian")


def mlp(sizes: tuple[int, ...]) -> nn.Sequential:
    """Linear layers of the given widths with ReLU between them (none after the last)."""
    layers: list[nn.Module] = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=False)):
        layers.append(nn.Linear(n_in, n_out))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def decoder_distribution(x_param: torch.Tensor, likelihood: str, decoder_sigma: float) -> Distribution:
    """p(x|z) over the D pixels or coordinates, one event per sample.

    Bernoulli: `x_param` are logits; a mass function on binary images. The support check is off because
    training passes grey pixels as soft targets (`reconstruction_nll`); a log p(x) shown as one is computed
    for binarised images only (`explorer.maths.likelihood.scored_input`). Gaussian: `x_param` is the mean and every
    coordinate has standard deviation `decoder_sigma` (a knob of the loss, not a weight of the network).
    """
    if likelihood == "bernoulli":
        return Independent(Bernoulli(logits=x_param, validate_args=False), 1)
    if likelihood == "gaussian":
        return Independent(Normal(x_param, torch.full_like(x_param, float(decoder_sigma))), 1)
    raise ValueError(f"likelihood must be one of {LIKELIHOODS}, not {likelihood!r}")


def reconstruction_nll(
    x_param: torch.Tensor, x: torch.Tensor, likelihood: str, decoder_sigma: float
) -> torch.Tensor:
    """-log p(x|z) per sample, (B,), computed in fused, numerically stable forms.

    Bernoulli: sum of binary cross-entropies with logits; grey intensities in [0, 1] are soft targets, as
    in Kingma & Welling 2014 and pytorch/examples. For binary x it is −log p(x|z); for grey x it is exactly
    E[−log p(x_b|z)] over binarisations x_b ~ Bernoulli(x), since E[x_b] = x and the loss is linear in x_b
    (dynamic binarisation without its sampling noise), not −log of a density of grey x. Gaussian with
    standard deviation s: ||x - mean||² / (2 s²) + D log s + D/2 log 2π, so at fixed s it is the L2 loss
    scaled by 1 / (2 s²) plus a constant.
    """
    if likelihood == "bernoulli":
        bce = nn.functional.binary_cross_entropy_with_logits(x_param, x, reduction="none")
        return bce.sum(dim=1)
    if likelihood == "gaussian":
        sigma = float(decoder_sigma)
        dim = x.shape[1]
        sq = (x - x_param).pow(2).sum(dim=1)
        return sq / (2 * sigma**2) + dim * (math.log(sigma) + 0.5 * math.log(2 * math.pi))
    raise ValueError(f"likelihood must be one of {LIKELIHOODS}, not {likelihood!r}")


def decoder_mean(x_param: torch.Tensor, likelihood: str) -> torch.Tensor:
    """E[x|z]: the image (probabilities) or point that a decoder output stands for."""
    return torch.sigmoid(x_param) if likelihood == "bernoulli" else x_param


class PointMass(Distribution):
    """A distribution with all its mass at `loc`: the deterministic autoencoder's 'posterior', and the VQ-VAE's
    at z_q. The last `event_dims` axes of `loc` are one event (a vector: 1; the VQ-VAE's (H', W', D) grid: 3).

    Sampling returns `loc` itself (with its gradient), so code written for a VAE's q(z|x) runs
    unchanged on an autoencoder.
    """

    arg_constraints = {"loc": constraints.real}
    support = constraints.real_vector
    has_rsample = True
    takes_generator = True  # `rsample` takes one (and needs none): see `explorer.models.noise.sample`

    def __init__(self, loc: torch.Tensor, validate_args: bool | None = None, event_dims: int = 1):
        self.loc = loc
        split = loc.dim() - event_dims
        super().__init__(loc.shape[:split], loc.shape[split:], validate_args=validate_args)

    @property
    def mean(self) -> torch.Tensor:
        return self.loc

    @property
    def variance(self) -> torch.Tensor:
        return torch.zeros_like(self.loc)

    def rsample(self, sample_shape: torch.Size = torch.Size(),
                generator: torch.Generator | None = None) -> torch.Tensor:
        return self.loc.expand(torch.Size(sample_shape) + self.loc.shape)

    def log_prob(self, value: torch.Tensor) -> torch.Tensor:
        hit = (value == self.loc).flatten(-len(self.event_shape)).all(dim=-1)
        return torch.where(hit, 0.0, -math.inf)


class DecoderHead:
    """p(x|z) from a model's `_decoder_param(z)` (logits or means, (B, x_dim)) and its config's likelihood
    and default decoder σ; `decoder_sigma` overrides σ, so a slider acts on a running model."""

    def _sigma(self, decoder_sigma: float | None) -> float:
        return self.config.decoder_sigma if decoder_sigma is None else float(decoder_sigma)

    def decode(self, z: torch.Tensor, decoder_sigma: float | None = None) -> Distribution:
        """p(x|z): a distribution with batch shape (B,), event shape (x_dim,)."""
        return decoder_distribution(self._decoder_param(z), self.config.likelihood, self._sigma(decoder_sigma))

    @torch.no_grad()
    def decode_mean(self, z: torch.Tensor) -> torch.Tensor:
        """E[x|z], (B, x_dim): what a page draws for a latent point."""
        return decoder_mean(self._decoder_param(z), self.config.likelihood)

    @torch.no_grad()
    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        """(B, x_dim) -> (B, x_dim): the decoded mean of q(z|x) (the AE's code, the VAE's posterior mean, the
        VQ-VAE's z_q); a model whose mean is not a code it can decode says what its most probable code is."""
        return self.decode_mean(self.encode(x).mean)


class MLPLatentModel(DecoderHead, nn.Module):
    """What the AE and the VAE share: an MLP decoder, a standard-normal prior and sampling.

    Subclasses set `kind` and `capabilities` (`explorer.models.base`) and build `self.encoder`; the knobs a
    slider may turn are the keyword-only arguments of their `loss`. `config` is a frozen dataclass with x_dim,
    z_dim, hidden, likelihood, decoder_sigma and image_shape.
    """

    kind = "base"

    def __init__(self, config):
        super().__init__()
        if config.likelihood not in LIKELIHOODS:
            raise ValueError(f"likelihood must be one of {LIKELIHOODS}, not {config.likelihood!r}")
        self.config = config
        self.decoder = mlp((config.z_dim, *reversed(config.hidden), config.x_dim))
        self.register_buffer("prior_loc", torch.zeros(config.z_dim))
        self.register_buffer("prior_scale", torch.ones(config.z_dim))

    @property
    def prior(self) -> Distribution:
        """p(z) = N(0, I)."""
        return Independent(Normal(self.prior_loc, self.prior_scale), 1)

    def _decoder_param(self, z: torch.Tensor) -> torch.Tensor:
        """(B, z_dim) -> logits or means (B, x_dim)."""
        return self.decoder(z)

    @torch.no_grad()
    def sample(self, n: int, *, generator: torch.Generator | None = None) -> torch.Tensor:
        """Decoded means of n draws z ~ p(z), (n, x_dim)."""
        return self.decode_mean(normal((n, self.config.z_dim), self.prior_loc, generator))


def binary_pixels(model) -> bool:
    """Whether the model's p(x|z) is a Bernoulli, a mass function on binary images (its config says so); an object
    without a config (a closed-form model of the tests) is not."""
    return getattr(getattr(model, "config", None), "likelihood", None) == "bernoulli"
