"""The model registry: every model kind, its config class, and building one from a config.

Every kind of `REGISTRY` satisfies one protocol (`explorer.models.base.LatentModel`): `encode(x)` ->
Distribution over z, `decode(z)` -> Distribution over x, `prior`, `loss(x, *, generator=None, **knobs)` ->
`Terms` (named terms; `loss` is minimized), `sample(n, *, generator=None)`, `decode_mean(z)`, `reconstruct(x)`,
declared `capabilities`, and a frozen `config` dataclass stored beside the weights. The knobs of a kind are
the keyword arguments of its loss (`loss_knobs`). Callers ask capabilities; the kind string is the registry's
key and the name a checkpoint stores, and only the functions here compare it.
A server builds with `build_seeded`: its weights come from a generator of its own.
"""

from __future__ import annotations

import dataclasses
import typing

import torch
from torch import nn

from explorer.models.ae import AEConfig, Autoencoder
from explorer.models.base import Capabilities, LatentModel, Terms, loss_knobs
from explorer.models.conv_vae import ConvVAE, ConvVAEConfig
from explorer.models.gumbel import GumbelVAE, GumbelVAEConfig
from explorer.models.hvae import HierarchicalVAE, HVAEConfig
from explorer.models.init import generator_of, initialise
from explorer.models.prior import PriorConfig, TokenPrior
from explorer.models.vae import VAE, VAEConfig
from explorer.models.vqvae import VQVAE, VQVAEConfig

REGISTRY: dict[str, tuple[type[nn.Module], type]] = {
    Autoencoder.kind: (Autoencoder, AEConfig),
    VAE.kind: (VAE, VAEConfig),
    VQVAE.kind: (VQVAE, VQVAEConfig),
    GumbelVAE.kind: (GumbelVAE, GumbelVAEConfig),
    ConvVAE.kind: (ConvVAE, ConvVAEConfig),
    HierarchicalVAE.kind: (HierarchicalVAE, HVAEConfig),
}


# Models that are not latent-variable models of x but are saved and loaded the same way: the
# autoregressive prior over a VQ-VAE's codes.
AUXILIARY: dict[str, tuple[type[nn.Module], type]] = {TokenPrior.kind: (TokenPrior, PriorConfig)}


__all__ = ["AUXILIARY", "REGISTRY", "Capabilities", "LatentModel", "Terms", "build", "build_seeded",
           "config_from_dict", "config_to_dict", "is_latent_kind", "is_latent_model", "is_saved_kind", "kinds",
           "loss_knobs", "registered_kind", "saved_kinds"]


def kinds() -> tuple[str, ...]:
    """The latent-variable models of x, which share the protocol above."""
    return tuple(REGISTRY)


def saved_kinds() -> tuple[str, ...]:
    """Every kind a checkpoint may hold."""
    return tuple(REGISTRY) + tuple(AUXILIARY)


def is_latent_kind(kind: object) -> bool:
    """Whether `kind` (as a manifest or a header stores it) names a latent-variable model of x."""
    return kind in REGISTRY


def is_saved_kind(kind: object) -> bool:
    """Whether a checkpoint may hold a model of `kind`."""
    return kind in REGISTRY or kind in AUXILIARY


def registered_kind(model: object) -> str | None:
    """The kind under which the model's class is registered (the name its checkpoint stores), or None."""
    return next((kind for kind, (cls, _) in {**REGISTRY, **AUXILIARY}.items() if isinstance(model, cls)), None)


def is_latent_model(model: object) -> bool:
    """Whether `model` is one of the latent-variable models of x (not the token prior over codes)."""
    return is_latent_kind(registered_kind(model))


def build(kind: str, config=None, **overrides) -> nn.Module:
    """A fresh model of `kind` from `config` (default config if None) with fields overridden."""
    if kind not in saved_kinds():
        raise ValueError(f"unknown model kind {kind!r}; known kinds: {', '.join(saved_kinds())}")
    model_cls, config_cls = {**REGISTRY, **AUXILIARY}[kind]
    config = config_cls() if config is None else config
    return model_cls(dataclasses.replace(config, **overrides))


def build_seeded(kind: str, config=None, seed: int | torch.Generator = 0, **overrides) -> nn.Module:
    """`build`, with every initial weight drawn from `seed` (an int or a generator) instead of torch's
    global generator, which other threads share: the same seed gives the same weights however many
    sessions build or train at once (`explorer.models.init`)."""
    return initialise(build(kind, config, **overrides), generator_of(seed))


def config_to_dict(config) -> dict:
    return dataclasses.asdict(config)


def config_from_dict(kind: str, values: dict):
    """Rebuild a frozen config from its JSON form (lists become tuples); unknown keys are refused."""
    if kind not in saved_kinds():
        raise ValueError(f"unknown model kind {kind!r}; known kinds: {', '.join(saved_kinds())}")
    config_cls = {**REGISTRY, **AUXILIARY}[kind][1]
    fields = {f.name for f in dataclasses.fields(config_cls)}
    unknown = set(values) - fields
    if unknown:
        raise ValueError(f"config for {kind!r} has unknown fields: {sorted(unknown)}")
    hints = typing.get_type_hints(config_cls)
    converted = {
        name: tuple(value) if isinstance(value, list) and "tuple" in str(hints[name]) else value
        for name, value in values.items()
    }
    return config_cls(**converted)
