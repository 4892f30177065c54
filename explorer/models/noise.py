"""Random draws of the models and the bounds, from the generator a run or a view owns.

A server trains several sessions' models in threads at once, and torch's global generator is shared by
all of them: a draw from it depends on what every other thread drew before. So every stochastic method
takes a `generator` and draws from it alone. The draw is made on the generator's device and moved to the
data's, so a seeded CPU generator gives the same numbers whatever device the model runs on. With
`generator=None` (a notebook, a test) torch's global generator is used, as torch itself does.
"""

from __future__ import annotations

import torch
from torch.distributions import Distribution, Independent, MultivariateNormal, Normal


def _device(generator: torch.Generator | None, like: torch.Tensor) -> torch.device:
    return like.device if generator is None else generator.device


def normal(shape, like: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """ε ~ N(0, I) of `shape`, with the dtype and on the device of `like`."""
    eps = torch.randn(shape, generator=generator, dtype=like.dtype, device=_device(generator, like))
    return eps.to(like.device)


def normal_like(like: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """ε ~ N(0, I) shaped like `like`: the noise of the reparameterization z = μ + σ·ε. Laid out in memory as
    `like` (as `torch.randn_like`), so a channels-last grid gets the numbers it got from torch's global generator."""
    eps = torch.empty_like(like, device=_device(generator, like))
    return eps.normal_(generator=generator).to(like.device)


def integers(high: int, shape, device: torch.device, generator: torch.Generator | None = None) -> torch.Tensor:
    """Uniform integers in [0, high) of `shape` (a LongTensor on `device`)."""
    drawn_on = device if generator is None else generator.device
    return torch.randint(high, tuple(shape), generator=generator, device=drawn_on).to(device)


def choice(weights: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """One index drawn with probability ∝ `weights` (N,), or one per row of (B, N): a LongTensor (1,) or (B, 1)
    on the device of `weights`."""
    drawn = torch.multinomial(weights.to(_device(generator, weights)), 1, generator=generator)
    return drawn.to(weights.device)


def sample(dist: Distribution, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """n draws of `dist`, (n, *batch, *event), without a graph. torch.distributions take no generator, so
    the families the app samples are drawn here: Normal and MultivariateNormal (μ + L·ε), Independent of
    either, and the models' own distributions, whose `rsample` takes one (the point mass, the top-down
    Normal of the hierarchical VAE). Others are refused rather than drawn from the global generator."""
    with torch.no_grad():
        if isinstance(dist, Independent):
            return sample(dist.base_dist, n, generator)
        if isinstance(dist, Normal):
            return dist.loc + dist.scale * normal((n, *dist.batch_shape), dist.loc, generator)
        if isinstance(dist, MultivariateNormal):
            eps = normal((n, *dist.batch_shape, *dist.event_shape, 1), dist.loc, generator)
            return dist.loc + (dist.scale_tril @ eps).squeeze(-1)
        if getattr(dist, "takes_generator", False):
            return dist.rsample(torch.Size([n]), generator=generator)
    raise TypeError(f"no seeded sampler for {type(dist).__name__}: add one to explorer.models.noise")
