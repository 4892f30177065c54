"""Draw and compare: every pretrained model reconstructs one input, with its squared error and likelihood.

Each model reconstructs from its most probable code (`reconstruct`): the AE's code, the VAE's posterior
mean, the VQ-VAE's nearest codes, the categorical VAE's argmax per group. The likelihood is the
best number the model defines: exact log p(x) by quadrature where its capabilities allow it (a VAE with a
1-D or 2-D latent, `explorer.maths.likelihood`), otherwise the ELBO averaged over a few posterior samples (a lower
bound on log p(x)); a model without an ELBO (the deterministic AE) defines none. Under a Bernoulli decoder
both are of the binarised input.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from explorer import models
from explorer.maths import latent
from explorer.maths.likelihood import log_marginal, scored_input
from explorer.maths.metrics import squared_error_per_image
from explorer.store import zoo

KIND_ORDER = ("ae", "vae", "convvae", "vqvae", "gumbel", "hvae")  # the lecture's order; other kinds after them
ELBO_SAMPLES = 8  # posterior samples averaged for an ELBO shown next to a drawing


@dataclass(frozen=True)
class Comparison:
    name: str
    kind: str
    x_hat: np.ndarray  # (x_dim,) the reconstruction's mean image
    squared_error: float  # Σ (x − x_hat)² over pixels (`metrics.squared_error_per_image`)
    log_likelihood: float | None  # nats; None where the model defines no likelihood
    likelihood_label: str  # "log p(x)", "ELBO ≤ log p(x)" or "—"


def shipped_models(dataset: str) -> list[str]:
    """The names of every shipped model of x trained on `dataset` (not the token priors over codes),
    in the lecture's order of kinds."""
    found = [name for name in zoo.names()
             if zoo.entry(name)["dataset"] == dataset and models.is_latent_kind(zoo.entry(name)["kind"])]
    rank = {kind: i for i, kind in enumerate(KIND_ORDER)}
    return sorted(found, key=lambda name: (rank.get(zoo.entry(name)["kind"], len(rank)), name))


@torch.no_grad()
def reconstruct(model: nn.Module, x: torch.Tensor, batch_size: int = 1000) -> torch.Tensor:
    """(B, x_dim) -> (B, x_dim): the decoded most probable code of each input (`model.reconstruct`), in batches."""
    return torch.cat([model.reconstruct(rows) for rows in x.split(batch_size)])


@torch.no_grad()
def likelihood(model: nn.Module, x: torch.Tensor, seed: int = 0) -> tuple[float | None, str]:
    """The model's log-likelihood of one input (1, x_dim), exact where it can be, and its label; a Monte-Carlo
    ELBO draws from `seed`. Under a Bernoulli decoder both are of the binarised input (`scored_input`)."""
    x = scored_input(model, x)
    if model.capabilities.exact_likelihood:
        return float(log_marginal(model, x)[0]), "log p(x)"
    if not model.capabilities.has_elbo:
        return None, "—"
    terms = model.loss(x.expand(ELBO_SAMPLES, -1), reduce=False, generator=torch.Generator().manual_seed(seed))
    return float(terms.elbo.mean()), "ELBO ≤ log p(x)"


def compare(models: dict[str, nn.Module], image: np.ndarray, seed: int = 0) -> list[Comparison]:
    """Every model on one (H, W) image in [0, 1]: reconstruction, squared error and likelihood (its draws from `seed`),
    in the given order."""
    results = []
    for name, model in models.items():
        x = torch.as_tensor(image, dtype=torch.float32).reshape(1, -1).to(next(model.parameters()).device)
        x_hat = reconstruct(model.eval(), x)
        value, label = likelihood(model, x, seed)
        results.append(Comparison(name, model.kind, x_hat[0].cpu().numpy(), float(squared_error_per_image(x, x_hat)[0]),
                                  value, label))
    return results


@torch.no_grad()
def latent_position(model: nn.Module, image: np.ndarray) -> np.ndarray:
    """The posterior mean of one (H, W) image under a 2-D model: (2,)."""
    return latent.encode_means(model, torch.as_tensor(image, dtype=torch.float32).reshape(1, -1))[0]


def interpolation(model: nn.Module, image_a: np.ndarray, image_b: np.ndarray, steps: int = 9
                  ) -> tuple[np.ndarray, np.ndarray]:
    """The straight path between two drawings' codes in a 2-D latent, (steps, 2), and its decoded images
    (steps, x_dim)."""
    path = latent.lerp(latent_position(model, image_a), latent_position(model, image_b), steps)
    return path, latent.decode_points(model, path)
