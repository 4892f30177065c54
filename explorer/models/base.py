"""The model protocol: what every latent-variable model of x gives, what its loss returns, what it can do.

Every kind in `explorer.models.REGISTRY` (the AE, the VAE, the conv VAE, the VQ-VAE, the categorical VAE,
the hierarchical VAE) satisfies `LatentModel`; tests/unit/test_protocol.py runs each through it. The token
prior over a VQ-VAE's codes is not a model of x and stays outside (`explorer.models.AUXILIARY`).

Callers ask `model.capabilities` (a `Capabilities`), never the model's kind string, and read the knobs a
loss takes from its signature (`loss_knobs`), so a new keyword argument of a loss is a knob at once.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol, runtime_checkable

import torch
from torch.distributions import Distribution

# keyword-only arguments of a loss that say how to compute it, not what model to train: never a slider
NOT_KNOBS = frozenset({"generator", "reduce"})


class Terms(dict):
    """The named terms of a loss, in nats: a dict of tensors (so `terms["loss"]` and `terms.items()` work) with
    typed access to the shared ones. `loss` (what is minimized) is always there; `recon` = −log p(x|z) for every
    model of x; `kl` and `elbo` (≤ log p(x)) where the model has a KL term; a kind adds its own (`commitment`,
    `codebook`, `kl_1`, ...). Scalars (batch means) or (B,) tensors with `reduce=False`."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "loss" not in self:
            raise ValueError(f"a loss's terms must include 'loss', not only {sorted(self)}")

    @classmethod
    def of(cls, terms: dict[str, torch.Tensor], reduce: bool) -> Terms:
        """Per-sample terms (B,) as they are, or their batch means with `reduce`."""
        return cls({name: t.mean() for name, t in terms.items()} if reduce else terms)

    @property
    def loss(self) -> torch.Tensor:
        return self["loss"]

    @property
    def recon(self) -> torch.Tensor | None:
        return self.get("recon")

    @property
    def kl(self) -> torch.Tensor | None:
        return self.get("kl")

    @property
    def elbo(self) -> torch.Tensor | None:
        return self.get("elbo")


@dataclass(frozen=True)
class Capabilities:
    """What a model can do, for callers to ask instead of its kind. Each model class declares one (a property
    where it depends on the config)."""

    has_elbo: bool  # the loss reports `kl` and `elbo` ≤ log p(x): a variational model (not the plain AE)
    continuous_latent: bool  # z is a real vector or grid drawn from a density: maps, interpolation, quadrature
    categorical_latent: bool  # z is one-hot groups or codebook entries
    has_codebook: bool = False  # a learned codebook: `codes(x)` (indices), `codebook`, `lookup`, `usage()`
    point_mass_posterior: bool = False  # q(z|x) is a point mass (the AE's code, the VQ-VAE's z_q): no z is drawn
    exact_likelihood: bool = False  # a 1-D or 2-D Gaussian latent: exact log p(x) by quadrature
    hierarchical: bool = False  # groups of latents on latents: `generate`, `noise`, per-group `kl_l` terms


@runtime_checkable
class LatentModel(Protocol):
    """A latent-variable model of x (an `nn.Module` with a frozen `config` dataclass).

    `encode(x)` is q(z|x) with batch shape (B,) (a point mass for the AE; for the VQ-VAE a point mass at z_q,
    its codes from `codes(x)`); `decode(z)` is p(x|z) with batch shape (B,) and event shape (x_dim,); `prior`
    is p(z); `loss` returns `Terms`, its keyword-only arguments (less `generator` and `reduce`) being the knobs
    a slider turns on a running model; `sample` gives decoded means of draws from the prior, (n, x_dim).
    Every draw comes from `generator` when one is given (`explorer.models.noise`).
    """

    kind: ClassVar[str]  # the registry key, stored in checkpoint headers
    config: Any
    capabilities: Capabilities

    @property
    def prior(self) -> Distribution: ...

    def encode(self, x: torch.Tensor) -> Distribution: ...

    def decode(self, z: torch.Tensor) -> Distribution: ...

    def decode_mean(self, z: torch.Tensor) -> torch.Tensor: ...

    def reconstruct(self, x: torch.Tensor) -> torch.Tensor: ...

    def loss(self, x: torch.Tensor, *, generator: torch.Generator | None = None, **knobs) -> Terms: ...

    def sample(self, n: int, *, generator: torch.Generator | None = None) -> torch.Tensor: ...


def loss_knobs(model: Any) -> tuple[str, ...]:
    """The knobs of a model's (or model class's) loss: its keyword-only parameters, less `generator` and
    `reduce`, in the signature's order. The trainer passes these and only these."""
    cls = model if isinstance(model, type) else type(model)
    parameters = inspect.signature(cls.loss).parameters.values()
    return tuple(p.name for p in parameters if p.kind is p.KEYWORD_ONLY and p.name not in NOT_KNOBS)
