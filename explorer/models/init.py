"""Initial weights from a generator a build owns, not from torch's global one.

torch's layers draw their initial weights from the global generator, which every thread of a server
shares: seeding it and then building lets another session's thread draw in between, so the same seed gave
different weights. `initialise` draws every parameter again from a given generator, with torch's own
default initialisations, module by module in the order a build creates them. A build from a generator
seeded s is therefore exactly `torch.manual_seed(s)` and a build, without touching any global state (and
the shipped models' recipe, which was written that way, still holds).

A module of ours whose initialisation differs from its layers' defaults says how in `init_weights(generator)`;
a module with parameters that nobody here knows how to initialise is refused.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn.modules.conv import _ConvNd


def _fan_in_bound(weight: torch.Tensor) -> float:
    fan_in, _ = nn.init._calculate_fan_in_and_fan_out(weight)
    return 1 / math.sqrt(fan_in) if fan_in > 0 else 0.0


def linear(layer: nn.Linear | _ConvNd, generator: torch.Generator) -> None:
    """torch's default for Linear and convolutions: weights by Kaiming-uniform with a = √5, which is
    U(±1/√fan_in), and the bias U(±1/√fan_in)."""
    nn.init.kaiming_uniform_(layer.weight, a=math.sqrt(5), generator=generator)
    if layer.bias is not None:
        bound = _fan_in_bound(layer.weight)
        nn.init.uniform_(layer.bias, -bound, bound, generator=generator)


def _embedding(layer: nn.Embedding, generator: torch.Generator) -> None:
    nn.init.normal_(layer.weight, generator=generator)
    if layer.padding_idx is not None:
        layer.weight[layer.padding_idx].fill_(0)


def _layer_norm(layer: nn.LayerNorm, generator: torch.Generator) -> None:
    if layer.elementwise_affine:
        nn.init.ones_(layer.weight)
        if layer.bias is not None:
            nn.init.zeros_(layer.bias)


def _attention(layer: nn.MultiheadAttention, generator: torch.Generator) -> None:
    """As `MultiheadAttention.__init__`: the output projection is built (and drawn) first, then the input
    projections by Xavier-uniform, and both biases set to 0."""
    if not layer._qkv_same_embed_dim or layer.bias_k is not None:
        raise TypeError("seeded initialisation covers attention with equal q, k, v sizes and no bias_k/bias_v")
    linear(layer.out_proj, generator)
    nn.init.xavier_uniform_(layer.in_proj_weight, generator=generator)
    if layer.in_proj_bias is not None:
        nn.init.zeros_(layer.in_proj_bias)
        nn.init.zeros_(layer.out_proj.bias)


def _encoder_stack(stack: nn.TransformerEncoder, generator: torch.Generator) -> None:
    """`TransformerEncoder` deep-copies one layer, so every layer starts with the same weights: the first is
    drawn, the others copy it."""
    first, *others = stack.layers
    initialise(first, generator)
    for layer in others:
        layer.load_state_dict(first.state_dict())
    if stack.norm is not None:
        initialise(stack.norm, generator)


# the most specific class first: a layer of a subclass (NonDynamicallyQuantizableLinear) takes its parent's
LAYERS = ((nn.MultiheadAttention, _attention), (nn.TransformerEncoder, _encoder_stack), (nn.Linear, linear),
          (_ConvNd, linear), (nn.Embedding, _embedding), (nn.LayerNorm, _layer_norm))


@torch.no_grad()
def initialise(module: nn.Module, generator: torch.Generator) -> nn.Module:
    """Draw every parameter of `module` again from `generator`, module by module in build order (children in
    the order they were assigned, which is the order our models build them). Returns the module."""
    if hasattr(module, "init_weights"):
        module.init_weights(generator)
        return module
    for cls, init in LAYERS:
        if isinstance(module, cls):
            init(module, generator)
            return module
    if any(True for _ in module.parameters(recurse=False)):
        raise TypeError(f"no seeded initialisation for {type(module).__name__}: give it init_weights(generator)")
    for child in module.children():
        initialise(child, generator)
    return module


def generator_of(seed: int | torch.Generator) -> torch.Generator:
    """A seed as a CPU generator (the same seed, the same weights on every device); a generator as it is."""
    return seed if isinstance(seed, torch.Generator) else torch.Generator().manual_seed(int(seed))
