"""Gumbel-max sampling, the Gumbel-softmax (concrete) relaxation, the stop-gradient trick, and a χ² test.

Gumbel-max (Gumbel 1954; Maddison et al. 2014). With g_i i.i.d. standard Gumbel, g = −log(−log u),
u ~ U(0, 1), the index k = argmax_i (θ_i + g_i) is distributed as softmax(θ). Proof in three lines:
θ_i + g_i has the CDF F_i(x) = exp(−e^{θ_i − x}) and the density e^{θ_i − x} F_i(x), so
    P(k) = ∫ e^{θ_k − x} Π_i F_i(x) dx = ∫ e^{θ_k − x} exp(−e^{−x} Σ_i e^{θ_i}) dx
         = e^{θ_k} ∫_0^∞ exp(−s Σ_i e^{θ_i}) ds = e^{θ_k} / Σ_i e^{θ_i}      (s = e^{−x}).

Gumbel-softmax, or the concrete distribution (Jang et al. 2017; Maddison et al. 2017): replace the argmax
by a softmax at temperature τ, y = softmax((θ + g) / τ). y lies inside the simplex and is differentiable in θ;
it tends to one_hot(argmax(θ + g)) (a corner) as τ → 0 and to the centre (1/K, …, 1/K) as τ → ∞.

Straight-through (Bengio et al. 2013): y = sg(hard − soft) + soft has the value of `hard` in the forward pass
and the gradient of `soft` in the backward pass (sg, stop-gradient, is `.detach()`).

`gumbel_noise` and `straight_through` are the app's only Gumbel sampler and straight-through: the pages, the
exercises, the categorical VAE (`explorer.models.gumbel`) and the VQ-VAE's quantizer call them.

No Streamlit and no Plotly here; the pages' numbers come from `*_report` functions as numpy arrays.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import torch

from explorer.runtime.threads import torch_threads

DTYPE = torch.float64


def gumbel_noise(shape, generator: torch.Generator | None, dtype: torch.dtype = DTYPE,
                 device: torch.device | str | None = None) -> torch.Tensor:
    """i.i.d. standard Gumbel noise g = −log E, E ~ Exp(1) (the law of −log(−log U): one log instead of two),
    drawn from `generator` alone. The draw is made on the generator's device and moved to `device`, so a seeded
    CPU generator gives the same g on any device (as `explorer.models.noise`); `None` draws from torch's global
    generator, as torch itself does (a notebook, a test). E is clamped to the smallest float: g stays finite."""
    drawn_on = device if generator is None else generator.device
    exponential = torch.empty(shape, dtype=dtype, device=drawn_on).exponential_(generator=generator)
    return -exponential.clamp_min(torch.finfo(dtype).tiny).log().to(device)


def gumbel_max(logits: torch.Tensor, gumbel: torch.Tensor) -> torch.Tensor:
    """Category indices argmax(θ + g): samples of softmax(θ), one per row of `gumbel`."""
    return (logits + gumbel).argmax(-1)


def one_hot(index: torch.Tensor, k: int, dtype: torch.dtype = DTYPE) -> torch.Tensor:
    return torch.nn.functional.one_hot(index, k).to(dtype)


def relaxed_sample(logits: torch.Tensor, gumbel: torch.Tensor, tau: float | torch.Tensor) -> torch.Tensor:
    """Gumbel-softmax samples softmax((θ + g) / τ); `tau` may be a tensor that broadcasts (one τ per block)."""
    return ((logits + gumbel) / tau).softmax(-1)


def straight_through(hard: torch.Tensor, soft: torch.Tensor) -> torch.Tensor:
    """sg(hard − soft) + soft: forward value `hard`, backward gradient that of `soft`. The app's one
    straight-through: the estimator pages, the categorical VAE and the VQ-VAE's quantizer call it."""
    # Forward, soft cancels: (hard − soft) + soft = hard (up to rounding). Backward, the detached bracket is a
    # constant, so the only path to the parameters is the trailing `+ soft`: ∂y/∂θ = ∂soft/∂θ. `hard` (an
    # argmax: a one-hot, or the VQ-VAE's nearest code) has no gradient; this lends it the gradient of `soft`.
    return (hard - soft).detach() + soft


MIN_EXPECTED = 5.0  # the usual rule: below this expected count the χ² law of X² is not to be trusted
MONTE_CARLO_DRAWS = 10_000  # multinomial samples under H0 behind a Monte-Carlo p-value (resolution 1e-4)
CHI_SQUARE_METHOD = "χ² approximation"
MONTE_CARLO_METHOD = f"Monte Carlo ({MONTE_CARLO_DRAWS:,} draws under p)"


class FitTest(NamedTuple):
    """A goodness-of-fit test: Pearson's statistic X², its p-value, and how the p-value was computed."""

    statistic: float
    p_value: float
    method: str


def pearson_statistic(counts: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """X² = Σ_k (O_k − E_k)² / E_k over the last axis."""
    return ((counts - expected) ** 2 / expected).sum(-1)


def chi_square(counts: np.ndarray | torch.Tensor, probs: np.ndarray | torch.Tensor, seed: int = 0) -> FitTest:
    """Pearson's goodness-of-fit test of `counts` against `probs`.

    With every expected count n·p_k ≥ MIN_EXPECTED, the p-value is P(χ²_{K−1} ≥ X²) = Q((K − 1)/2, X²/2),
    Q the regularized upper incomplete gamma function. With a smaller one that law is wrong: θ = (3, −3, −3,
    −3, −3) and n = 30 (expected counts 0.07) reject a true p at 0.05 in 28% of runs. There the p-value is
    Monte Carlo: (1 + #{X²_m ≥ X²}) / (M + 1) over M multinomial(n, p) draws X²_m from default_rng(seed),
    which is a valid p-value (P(p ≤ α) ≤ α under H0: the observed X² is one of M + 1 exchangeable draws)."""
    counts = torch.as_tensor(counts, dtype=DTYPE).numpy()
    probs = torch.as_tensor(probs, dtype=DTYPE).numpy()
    n = counts.sum()
    statistic = float(pearson_statistic(counts, n * probs))
    if (n * probs).min() >= MIN_EXPECTED:
        dof = torch.tensor((len(probs) - 1) / 2, dtype=DTYPE)
        p_value = float(torch.special.gammaincc(dof, torch.tensor(statistic / 2, dtype=DTYPE)))
        return FitTest(statistic, p_value, CHI_SQUARE_METHOD)
    draws = np.random.default_rng(seed).multinomial(int(round(n)), probs / probs.sum(), size=MONTE_CARLO_DRAWS)
    simulated = pearson_statistic(draws, n * probs)
    at_least = (simulated >= statistic * (1 - 1e-12)).sum()  # a tie is "as large": rounding must not break it
    return FitTest(statistic, float((1 + at_least) / (MONTE_CARLO_DRAWS + 1)), MONTE_CARLO_METHOD)


@torch_threads(1)
def gumbel_max_report(logits: tuple[float, ...], sizes: tuple[int, ...], seed: int = 0) -> dict:
    """Gumbel-max samples of softmax(logits), one stream of max(sizes) draws read at each size: counts per
    category, the χ² test against p (its p-value and the method behind it, Monte Carlo from `seed` where an
    expected count is small) and the total-variation distance ½ Σ |freq − p| at every size."""
    theta = torch.tensor(logits, dtype=DTYPE)
    index = gumbel_max(theta, gumbel_noise((max(sizes), len(logits)), torch.Generator().manual_seed(seed)))
    counts = torch.stack([torch.bincount(index[:n], minlength=len(logits)) for n in sizes]).to(DTYPE)
    probs = theta.softmax(-1)
    tests = [chi_square(c, probs, seed) for c in counts]
    freqs = counts / torch.tensor(sizes, dtype=DTYPE)[:, None]
    return {"sizes": np.array(sizes), "probs": probs.numpy(), "counts": counts.numpy(),
            "chi2": np.array([t.statistic for t in tests]), "p_value": np.array([t.p_value for t in tests]),
            "method": [t.method for t in tests], "tv": 0.5 * (freqs - probs).abs().sum(-1).numpy()}


@torch_threads(1)
def simplex_report(logits: tuple[float, ...], tau: float, n: int = 1500, seed: int = 0) -> dict:
    """`n` Gumbel-softmax samples at temperature τ, their mean, the category each would pick (argmax), and p.
    The noise depends on the seed only, so a new τ moves the same points."""
    theta = torch.tensor(logits, dtype=DTYPE)
    gumbel = gumbel_noise((n, len(logits)), torch.Generator().manual_seed(seed))
    samples = relaxed_sample(theta, gumbel, tau)
    return {"samples": samples.numpy(), "mean": samples.mean(0).numpy(), "probs": theta.softmax(-1).numpy(),
            "category": gumbel_max(theta, gumbel).numpy(), "tau": tau}
