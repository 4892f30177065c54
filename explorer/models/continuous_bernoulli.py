"""The continuous Bernoulli decoder: Bernoulli logits made a normalised density on grey pixels in [0, 1].

Scoring grey pixels x ∈ [0, 1] with the Bernoulli cross-entropy (Kingma & Welling 2014, pytorch/examples)
is not a log-likelihood: λ^x (1 − λ)^(1−x) integrates over [0, 1] to 1/C(λ), not 1, so "log p(x)" of grey
MNIST was off by 1,300–2,000 nats. Loaiza-Ganem & Cunningham ("The continuous Bernoulli: fixing a
pervasive error in variational autoencoders", NeurIPS 2019) add the normaliser:

    p(x | λ) = C(λ) λ^x (1 − λ)^(1−x),  C(λ) = 2 artanh(1 − 2λ) / (1 − 2λ),  C(½) = 2.

With logits l (λ = σ(l)), 1 − 2λ = −tanh(l/2) and artanh(1 − 2λ) = −l/2, so C = l / tanh(l/2): the forms
below are written in l and stay finite for any logit (torch's class works from λ, which rounds to 0 or 1
in float32 beyond |l| ≈ 17, where a trained decoder's background pixels live).
"""

from __future__ import annotations

import math

import torch
from torch.distributions import ContinuousBernoulli

SMALL_LOGIT = 0.05  # below it the closed forms cancel; their Taylor series are exact to ~1e-9 there


def log_normaliser(logits: torch.Tensor) -> torch.Tensor:
    """log C(λ) = log(l / tanh(l/2)), elementwise; even in l, log 2 at l = 0 and ≈ log|l| for large |l|.

    Near 0: (y / tanh y) = 1 + y²/3 − y⁴/45 + …, so with y = l/2, log C = log 2 + l²/12 − 7 l⁴/1440 + O(l⁶).
    """
    size = logits.abs()
    small = size < SMALL_LOGIT
    safe = torch.where(small, torch.ones_like(size), size)  # keeps the unused branch's gradient finite
    exact = torch.log(safe) - torch.log(torch.tanh(safe / 2))
    square = size.pow(2)
    taylor = math.log(2.0) + square / 12 - 7 * square.pow(2) / 1440
    return torch.where(small, taylor, exact)


def log_prob(logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """log p(x | λ) elementwise: x·l − softplus(l) (the Bernoulli log-mass written in logits) + log C(λ)."""
    return x * logits - torch.nn.functional.softplus(logits) + log_normaliser(logits)


def mean(logits: torch.Tensor) -> torch.Tensor:
    """E[x] = λ / (2λ − 1) + 1 / (2 artanh(1 − 2λ)) = 1 / (1 − e^(−l)) − 1/l, elementwise.

    It is ½ + l/12 − l³/720 + … near 0, 1 − 1/l for large l and 1/|l| for very negative l: a pixel's
    mean is not λ, and an image of λ would exaggerate its contrast.
    """
    small = logits.abs() < SMALL_LOGIT
    safe = torch.where(small, torch.ones_like(logits), logits)
    exact = -1 / torch.expm1(-safe) - 1 / safe
    taylor = 0.5 + logits / 12 - logits.pow(3) / 720
    return torch.where(small, taylor, exact)


class ContinuousBernoulliLogits(ContinuousBernoulli):
    """torch's continuous Bernoulli, parametrised by logits, with `log_prob` and `mean` from the forms above
    (sampling is torch's inverse CDF)."""

    def __init__(self, logits: torch.Tensor, validate_args: bool | None = None):
        super().__init__(logits=logits, validate_args=validate_args)

    def log_prob(self, value: torch.Tensor) -> torch.Tensor:
        if self._validate_args:
            self._validate_sample(value)
        return log_prob(self.logits, value)

    @property
    def mean(self) -> torch.Tensor:
        return mean(self.logits)
