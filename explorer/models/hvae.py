"""A hierarchical VAE: groups of latents on latents (Sønderby et al., "Ladder Variational
Autoencoders", NeurIPS 2016; Vahdat & Kautz, "NVAE: A Deep Hierarchical Variational Autoencoder",
NeurIPS 2020), with MLP residual blocks so it trains on a laptop CPU.

Notation: L groups z_1, ..., z_L; z_1 is next to x, z_L is the top. `HVAEConfig.groups` lists the
sizes bottom → top: groups[l - 1] = dim z_l, so (32, 16, 4) is a small top over larger groups.

Generative path (top-down): p(z) = p(z_L) Π_{l<L} p(z_l | z_>l), p(z_L) = N(0, I). A state s runs
down: s_L is a learned vector, s_{l-1} = stage(s_l + W z_l), each p(z_l | z_>l) = N(μ_p(s_l), σ_p(s_l)²)
and p(x | z) reads s_0. Inference (bottom-up then top-down): features d_l = stage(d_{l-1}),
d_0 = W x; q(z_l | z_>l, x) combines the top-down state s_l with d_l, in NVAE's residual form
μ_q = μ_p + Δμ(s_l, d_l), log σ_q² = log σ_p² + Δ(s_l, d_l) (the ladder VAE merges them instead).

ELBO = E_q[log p(x|z)] − Σ_l E_q(z_>l|x)[KL(q(z_l | z_>l, x) ‖ p(z_l | z_>l))]; each KL is Gaussian
to Gaussian, taken in closed form at one sample of the upper groups. Two aids to training: KL
warm-up (β ramps up, in the trainer: Bowman et al. 2016; Sønderby et al. 2016) and free bits per
group (Kingma et al. 2016): the penalty of group l is max(λ, batch mean of KL_l).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import torch
from torch import nn
from torch.distributions import Distribution, constraints
from torch.nn.functional import silu

from explorer.models.base import Capabilities, Terms
from explorer.models.common import LIKELIHOODS, DecoderHead, decoder_mean, reconstruction_nll
from explorer.models.init import initialise, linear
from explorer.models.noise import normal
from explorer.models.vae import LOGVAR_MAX, LOGVAR_MIN

Params = tuple[torch.Tensor, torch.Tensor]  # (μ, log σ²), each (n, dim z_l)


@dataclass(frozen=True)
class HVAEConfig:
    x_dim: int = 784
    groups: tuple[int, ...] = (32, 16, 4)  # sizes of z_1 (next to x), ..., z_L (the top): bottom → top
    hidden: int = 256  # width of every residual stage
    blocks: int = 1  # residual blocks per stage (one stage per group on each path)
    likelihood: str = "bernoulli"
    decoder_sigma: float = 0.1
    image_shape: tuple[int, int] | None = (28, 28)

    @property
    def z_dim(self) -> int:
        """All groups side by side, [z_1, ..., z_L]: what `encode`, `prior` and `decode` speak."""
        return sum(self.groups)


def kl_normal_normal(mu_q: torch.Tensor, logvar_q: torch.Tensor, mu_p: torch.Tensor,
                     logvar_p: torch.Tensor) -> torch.Tensor:
    """KL(N(μ_q, σ_q²) ‖ N(μ_p, σ_p²)) summed over units, (n, J) -> (n,):
    ½ Σ_j [log σ_p² − log σ_q² + (σ_q² + (μ_q − μ_p)²) / σ_p² − 1]."""
    return 0.5 * (logvar_p - logvar_q + (logvar_q.exp() + (mu_q - mu_p).pow(2)) * (-logvar_p).exp() - 1).sum(-1)


def normal_log_prob(z: torch.Tensor, params: Params) -> torch.Tensor:
    """log N(z; μ, σ²) summed over units, (n, J) -> (n,)."""
    mu, logvar = params
    return -0.5 * ((z - mu).pow(2) * (-logvar).exp() + logvar + math.log(2 * math.pi)).sum(-1)


class ResBlock(nn.Module):
    """h + W₂ SiLU(W₁ SiLU(h)): an MLP form of NVAE's residual cell. W₂ starts small, so a deep stack
    starts near the identity and trains from the first step."""

    def __init__(self, width: int):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(width, width), nn.Linear(width, width)
        with torch.no_grad():
            self.fc2.weight.mul_(0.1)

    @torch.no_grad()
    def init_weights(self, generator: torch.Generator) -> None:
        """The layers' defaults drawn from `generator`, then W₂ made small, as a build does."""
        linear(self.fc1, generator)
        linear(self.fc2, generator)
        self.fc2.weight.mul_(0.1)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return h + self.fc2(silu(self.fc1(silu(h))))


def stage(width: int, blocks: int) -> nn.Sequential:
    return nn.Sequential(*(ResBlock(width) for _ in range(blocks)))


class Walk(NamedTuple):
    """One pass down the hierarchy; lists are indexed l − 1 for group z_l (bottom first)."""

    z: list[torch.Tensor]  # z_l, (n, dim z_l)
    p: list[Params]  # p(z_l | z_>l)
    q: list[Params | None]  # q(z_l | z_>l, x), None without an input
    x_param: torch.Tensor  # (n, x_dim) logits or mean of p(x | z)


class TopDownNormal(Distribution):
    """p(z) (no features) or q(z|x) (the bottom-up features of x) over [z_1, ..., z_L] side by side:
    Gaussian group by group given the groups above. `rsample` draws top-down (ancestral sampling),
    `log_prob` sums the conditionals; `mean` is the mean path (each group's conditional mean given
    the means above), not E[z], which has no closed form."""

    arg_constraints: dict = {}
    support = constraints.real_vector
    has_rsample = True
    takes_generator = True  # `rsample` draws from a given generator: see `explorer.models.noise.sample`

    def __init__(self, model: HierarchicalVAE, features: list[torch.Tensor] | None = None, n: int = 1):
        self.model, self.features = model, features
        self.n = n if features is None else features[0].shape[0]
        batch = torch.Size() if features is None else torch.Size([self.n])
        super().__init__(batch, torch.Size([model.config.z_dim]), validate_args=False)

    def _walk(self, k: int = 1, **kwargs) -> Walk:
        features = None if self.features is None else [d.repeat(k, 1) for d in self.features]  # (k·B, W)
        return self.model.walk(self.n * k, features, keep=self.model.levels, **kwargs)

    def rsample(self, sample_shape: torch.Size = torch.Size(),
                generator: torch.Generator | None = None) -> torch.Tensor:
        z = torch.cat(self._walk(math.prod(sample_shape), generator=generator).z, -1)  # (k·n, Z)
        return z.reshape(*sample_shape, *self.batch_shape, -1)  # (*sample_shape, *batch, Z)

    @property
    def mean(self) -> torch.Tensor:
        zeros = {level: torch.zeros(1, size) for level, size in enumerate(self.model.config.groups, 1)}
        return torch.cat(self._walk(eps=zeros).z, -1).reshape(*self.batch_shape, -1)  # (*batch, Z)

    def log_prob(self, value: torch.Tensor) -> torch.Tensor:
        """Σ_l log N(z_l; conditional of group l given the groups above), value (*S, *batch, Z) -> (*S, *batch)."""
        flat = value.reshape(-1, value.shape[-1])  # (m, Z)
        features = None if self.features is None else [d.repeat(flat.shape[0] // self.n, 1) for d in self.features]
        walk = self.model.walk(flat.shape[0], features, keep=self.model.levels, z=self.model.split(flat))
        terms = walk.p if features is None else walk.q
        return sum(normal_log_prob(z, params) for z, params in zip(walk.z, terms, strict=True)).reshape(
            value.shape[:-1])


class HierarchicalVAE(DecoderHead, nn.Module):
    kind = "hvae"
    capabilities = Capabilities(has_elbo=True, continuous_latent=True, categorical_latent=False, hierarchical=True)

    def __init__(self, config: HVAEConfig):
        super().__init__()
        if config.likelihood not in LIKELIHOODS:
            raise ValueError(f"likelihood must be one of {LIKELIHOODS}, not {config.likelihood!r}")
        if not config.groups or min(config.groups) < 1 or config.blocks < 0:
            raise ValueError(f"groups must be positive sizes (got {config.groups}) and blocks ≥ 0")
        self.config, w, groups = config, config.hidden, config.groups
        self.embed = nn.Linear(config.x_dim, w)  # d_0 = W x
        self.up = nn.ModuleList(stage(w, config.blocks) for _ in groups)  # up[l-1]: d_{l-1} -> d_l
        self.top = nn.Parameter(torch.zeros(w))  # s_L, the learned input of the top-down path
        self.p_heads = nn.ModuleList(nn.Linear(w, 2 * size) for size in groups[:-1])  # s_l -> p(z_l | z_>l)
        self.q_heads = nn.ModuleList(nn.Linear(2 * w, 2 * size) for size in groups)  # [s_l, d_l] -> Δ of q
        self.z_in = nn.ModuleList(nn.Linear(size, w) for size in groups)
        self.down = nn.ModuleList(stage(w, config.blocks) for _ in groups)  # down[l-1]: s_l + W z_l -> s_{l-1}
        self.out = nn.Linear(w, config.x_dim)

    @torch.no_grad()
    def init_weights(self, generator: torch.Generator) -> None:
        """Every layer's default drawn from `generator` in build order; s_L starts at 0 (see `build_seeded`)."""
        for child in self.children():
            initialise(child, generator)
        self.top.zero_()

    @property
    def levels(self) -> int:
        return len(self.config.groups)

    def split(self, z: torch.Tensor) -> dict[int, torch.Tensor]:
        """(n, Z) -> {l: z_l (n, dim z_l)}, bottom first."""
        return dict(enumerate(z.split(list(self.config.groups), dim=-1), 1))

    def bottom_up(self, x: torch.Tensor) -> list[torch.Tensor]:
        """(B, x_dim) -> [d_1, ..., d_L], each (B, hidden)."""
        d, features = self.embed(x), []
        for block in self.up:
            d = block(d)
            features.append(d)
        return features

    def _prior_params(self, i: int, s: torch.Tensor) -> Params:
        if i == self.levels - 1:  # the top: N(0, I)
            zeros = s.new_zeros(s.shape[0], self.config.groups[i])
            return zeros, zeros
        mu, logvar = self.p_heads[i](silu(s)).chunk(2, dim=-1)
        return mu, logvar.clamp(LOGVAR_MIN, LOGVAR_MAX)

    def _posterior_params(self, i: int, s: torch.Tensor, d: torch.Tensor, p: Params) -> Params:
        delta_mu, delta_logvar = self.q_heads[i](silu(torch.cat([s, d], -1))).chunk(2, dim=-1)
        return p[0] + delta_mu, (p[1] + delta_logvar).clamp(LOGVAR_MIN, LOGVAR_MAX)  # NVAE's residual q

    def walk(self, n: int, features: list[torch.Tensor] | None = None, keep: int = 0,
             z: dict[int, torch.Tensor] | None = None, eps: dict[int, torch.Tensor] | None = None,
             generator: torch.Generator | None = None, temperature: float = 1.0) -> Walk:
        """Down from z_L to z_1 and x for n rows. Group l is `z[l]` if given (broadcast to n rows),
        else μ + σ·ε from q (the top `keep` groups, given the input's `features`) or from p, ε = `eps[l]`
        if given, else fresh N(0, I) noise (times `temperature` for draws from p)."""
        z, eps = z or {}, eps or {}
        zs, ps, qs = [], [], []
        s = self.top.expand(n, -1)
        for level in range(self.levels, 0, -1):
            i = level - 1
            p = self._prior_params(i, s)
            q = None if features is None else self._posterior_params(i, s, features[i], p)
            from_q = q is not None and level > self.levels - keep
            if level in z:
                z_l = z[level].expand(n, -1)
            else:
                e = eps[level].to(s).expand(n, -1) if level in eps else self._noise(n, i, s, generator)
                mu, logvar = q if from_q else p
                z_l = mu + (0.5 * logvar).exp() * (e if from_q else temperature * e)
            zs.append(z_l)
            ps.append(p)
            qs.append(q)
            s = self.down[i](s + self.z_in[i](z_l))
        return Walk(zs[::-1], ps[::-1], qs[::-1], self.out(silu(s)))

    def _noise(self, n: int, i: int, like: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        """ε ~ N(0, I), (n, dim z_{i+1}), from `generator` (drawn on its device: a CPU generator gives the same
        numbers on every device)."""
        return normal((n, self.config.groups[i]), like, generator)

    # --- the shared interface --------------------------------------------------------------------
    def encode(self, x: torch.Tensor) -> TopDownNormal:
        """q(z|x) = q(z_L|x) Π_{l<L} q(z_l | z_>l, x) over [z_1, ..., z_L], batch (B,), event (Z,)."""
        return TopDownNormal(self, self.bottom_up(x))

    @property
    def prior(self) -> TopDownNormal:
        """p(z) = p(z_L) Π_{l<L} p(z_l | z_>l) over [z_1, ..., z_L], event (Z,)."""
        return TopDownNormal(self)

    def _decoder_param(self, z: torch.Tensor) -> torch.Tensor:
        """Every group given, z (B, Z) -> logits or means (B, x_dim) at the end of the top-down path."""
        return self.walk(z.shape[0], z=self.split(z)).x_param

    def loss(self, x: torch.Tensor, *, beta: float = 1.0, decoder_sigma: float | None = None, free_bits: float = 0.0,
             reduce: bool = True, generator: torch.Generator | None = None) -> Terms:
        """recon = −log p(x|z) at one z ~ q(z|x) drawn top-down; kl_l = KL(q(z_l | z_>l, x) ‖ p(z_l | z_>l))
        in closed form at that draw's upper groups; kl = Σ_l kl_l; elbo = −(recon + kl) ≤ log p(x);
        loss = recon + β Σ_l max(λ, batch mean of kl_l) with free bits λ per group (λ = 0: recon + β kl).
        Means over the batch, or (B,) tensors with reduce=False; z is drawn with `generator`."""
        walk = self.walk(x.shape[0], self.bottom_up(x), keep=self.levels, generator=generator)
        recon = reconstruction_nll(walk.x_param, x, self.config.likelihood, self._sigma(decoder_sigma))
        kls = [kl_normal_normal(*q, *p) for q, p in zip(walk.q, walk.p, strict=True)]  # each (B,)
        kl = torch.stack(kls).sum(0)
        penalty = kl if free_bits <= 0 else sum(k.mean().clamp_min(free_bits) for k in kls).expand_as(kl)
        terms = {"loss": recon + beta * penalty, "recon": recon, "kl": kl, "elbo": -(recon + kl)}
        terms.update({f"kl_{level}": k for level, k in enumerate(kls, 1)})
        return Terms.of(terms, reduce)

    @torch.no_grad()
    def log_weight(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """log p(x, z) − log q(z|x) at one z ~ q(z|x) drawn with `generator`, (B,): its mean is the ELBO, its
        log-mean-exp over K draws the IWAE bound (Burda et al. 2016)."""
        walk = self.walk(x.shape[0], self.bottom_up(x), keep=self.levels, generator=generator)
        log_px_z = -reconstruction_nll(walk.x_param, x, self.config.likelihood, self.config.decoder_sigma)
        return log_px_z + sum(normal_log_prob(z, p) - normal_log_prob(z, q)
                              for z, p, q in zip(walk.z, walk.p, walk.q, strict=True))

    # --- what the page shows ---------------------------------------------------------------------
    @torch.no_grad()
    def generate(self, n: int, x: torch.Tensor | None = None, keep: int = 0, z: dict[int, torch.Tensor] | None = None,
                 eps: dict[int, torch.Tensor] | None = None, generator: torch.Generator | None = None,
                 temperature: float = 1.0) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """n images (n, x_dim) and their groups [z_1, ..., z_L]. (a) top fixed, lower resampled:
        z={L: z_L}; (b) lower noise fixed, top resampled: eps={l: ε_l for l < L} (see `noise`);
        (c) the top `keep` groups from q(·|x) of inputs x (B or 1 rows), the rest from the prior."""
        features = None if x is None else [d.expand(n, -1) for d in self.bottom_up(x)]
        walk = self.walk(n, features, keep, z, eps, generator, temperature)
        return decoder_mean(walk.x_param, self.config.likelihood), walk.z

    def noise(self, levels, generator: torch.Generator | None = None) -> dict[int, torch.Tensor]:
        """One draw ε_l ~ N(0, I) (1, dim z_l) per given level, to hold fixed across samples."""
        return {level: self._noise(1, level - 1, self.top, generator) for level in levels}

    @torch.no_grad()
    def sample(self, n: int, *, generator: torch.Generator | None = None, temperature: float = 1.0) -> torch.Tensor:
        """Decoded means of n draws z ~ p(z), top-down, (n, x_dim)."""
        return self.generate(n, generator=generator, temperature=temperature)[0]
