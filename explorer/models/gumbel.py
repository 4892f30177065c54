"""A VAE with categorical latents trained by the Gumbel-softmax relaxation (Jang, Gu & Poole,
"Categorical Reparameterization with Gumbel-Softmax", ICLR 2017; Maddison, Mnih & Teh, "The
Concrete Distribution", ICLR 2017).

z is N groups of one-hot vectors over K categories; q(z|x) = Π_n Cat(softmax(logits_n(x))),
p(z) uniform. Sampling a category is not differentiable, so in training each group is replaced
by y = softmax((logits + g) / τ), g ~ Gumbel(0, 1): a point inside the simplex that tends to the
one-hot sample argmax(logits + g) as τ → 0. With `hard=True` the forward pass uses that one-hot
sample and the backward pass the relaxed gradient (straight-through Gumbel-softmax). τ and hard
are loss arguments, so a slider acts on the next step. At evaluation the codes are hard one-hot
samples (Gumbel-max), so the reported ELBO is the discrete model's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch.distributions import Distribution, Independent, OneHotCategorical

from explorer.maths.gumbel import gumbel_noise, relaxed_sample, straight_through
from explorer.models.base import Capabilities, Terms
from explorer.models.common import MLPLatentModel, mlp, reconstruction_nll
from explorer.models.noise import integers

TAU_MIN = 0.01  # below this the relaxed softmax is one-hot to float32 precision anyway


@dataclass(frozen=True)
class GumbelVAEConfig:
    x_dim: int = 784
    groups: int = 20  # N categorical variables
    categories: int = 10  # K categories each
    hidden: tuple[int, ...] = (512, 256)
    likelihood: str = "bernoulli"
    decoder_sigma: float = 0.1
    image_shape: tuple[int, int] | None = (28, 28)

    @property
    def z_dim(self) -> int:
        """The decoder reads the N one-hot (or relaxed) groups side by side."""
        return self.groups * self.categories


def hard_codes(y: torch.Tensor) -> torch.Tensor:
    """One-hot of the argmax over the last axis, (..., K) -> (..., K)."""
    return torch.nn.functional.one_hot(y.argmax(-1), y.shape[-1]).to(y.dtype)


def kl_to_uniform(log_q: torch.Tensor) -> torch.Tensor:
    """KL(q ‖ uniform over K) summed over groups, exactly: Σ_n Σ_k q_nk (log q_nk + log K).
    (B, N, K) log-probabilities -> (B,)."""
    return (log_q.exp() * (log_q + math.log(log_q.shape[-1]))).sum(dim=(-2, -1))


class GumbelVAE(MLPLatentModel):
    kind = "gumbel"
    capabilities = Capabilities(has_elbo=True, continuous_latent=False, categorical_latent=True)

    def __init__(self, config: GumbelVAEConfig):
        super().__init__(config)
        self.encoder = mlp((config.x_dim, *config.hidden, config.z_dim))
        self.register_buffer("uniform_logits", torch.zeros(config.groups, config.categories))

    def encoder_logits(self, x: torch.Tensor) -> torch.Tensor:
        """(B, x_dim) -> (B, N*K) -> (B, N, K) unnormalized log-probabilities of q(z|x)."""
        return self.encoder(x).view(x.shape[0], self.config.groups, self.config.categories)

    def encode(self, x: torch.Tensor) -> Distribution:
        """q(z|x): batch shape (B,), event shape (N, K) of one-hot groups."""
        return Independent(OneHotCategorical(logits=self.encoder_logits(x)), 1)

    @property
    def prior(self) -> Distribution:
        """p(z): each group uniform over its K categories."""
        return Independent(OneHotCategorical(logits=self.uniform_logits), 1)

    def _decoder_param(self, z: torch.Tensor) -> torch.Tensor:
        """One-hot or relaxed codes (B, N, K) or (B, N*K) -> logits or means (B, x_dim)."""
        return self.decoder(z.flatten(1))  # (B, N, K) -> (B, N*K)

    @torch.no_grad()
    def sample(self, n: int, *, generator: torch.Generator | None = None) -> torch.Tensor:
        """Decoded means of n codes drawn from the uniform prior, (n, x_dim)."""
        codes = integers(self.config.categories, (n, self.config.groups), self.uniform_logits.device, generator)
        return self.decode_mean(torch.nn.functional.one_hot(codes, self.config.categories).float())

    @torch.no_grad()
    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        """(B, x_dim) -> (B, x_dim): the decoded most probable code, argmax per group."""
        return self.decode_mean(hard_codes(self.encoder_logits(x)))

    def relaxed_codes(self, logits: torch.Tensor, tau: float, hard: bool,
              generator: torch.Generator | None = None) -> torch.Tensor:
        """z for the decoder: relaxed y = softmax((logits + g) / τ) in training (one-hot forward with
        its gradient, sg(one_hot − y) + y, when `hard`); a one-hot Gumbel-max sample in eval mode.
        g is drawn from `generator`."""
        gumbel = gumbel_noise(logits.shape, generator, logits.dtype, logits.device)
        if not self.training:
            return hard_codes(logits + gumbel)  # argmax(logits + g) ~ q exactly (Gumbel-max)
        y = relaxed_sample(logits, gumbel, max(float(tau), TAU_MIN))
        return straight_through(hard_codes(y), y) if hard else y  # forward the one-hot, backward y's gradient

    def loss(self, x: torch.Tensor, *, tau: float = 1.0, hard: bool = False, beta: float = 1.0,
             decoder_sigma: float | None = None, reduce: bool = True,
             generator: torch.Generator | None = None) -> Terms:
        """recon = −log p(x|z) at one (relaxed) sample z, kl = KL(q(z|x) ‖ uniform) exactly,
        elbo = −(recon + kl), loss = recon + β·kl; per-sample means in nats (or (B,) tensors).
        The Gumbel noise is drawn from `generator`."""
        logits = self.encoder_logits(x)
        z = self.relaxed_codes(logits, tau, hard, generator)  # (B, N, K)
        recon = reconstruction_nll(self.decoder(z.flatten(1)), x, self.config.likelihood, self._sigma(decoder_sigma))
        kl = kl_to_uniform(logits.log_softmax(-1))
        return Terms.of({"loss": recon + beta * kl, "recon": recon, "kl": kl, "elbo": -(recon + kl)}, reduce)


@torch.no_grad()
def code_views(model: GumbelVAE, x: torch.Tensor, tau: float, seed: int = 0) -> dict[str, torch.Tensor]:
    """What the page shows of inputs x (B, x_dim) at temperature τ, all from one draw of Gumbel noise:
    `probs` q(z|x) (B, N, K); `soft` the relaxed code softmax((logits + g)/τ) and `hard` its one-hot
    argmax (a sample of q); `x_soft`, `x_hard` their decoded means (B, x_dim)."""
    logits = model.encoder_logits(x)
    gumbel = gumbel_noise(logits.shape, torch.Generator().manual_seed(seed), logits.dtype, logits.device)
    soft = relaxed_sample(logits, gumbel, max(float(tau), TAU_MIN))
    hard = hard_codes(logits + gumbel)
    return {"probs": logits.softmax(-1), "soft": soft, "hard": hard,
            "x_soft": model.decode_mean(soft), "x_hard": model.decode_mean(hard)}
