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

No Streamlit and no Plotly here; the pages' numbers come from `*_report` functions as numpy arrays.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np
import torch

DTYPE = torch.float64


def one_thread(fn: Callable) -> Callable:
    """Run `fn` on one intra-op torch thread (a per-thread setting, restored afterwards). The pages'
    computations are small: on the 2-core machine, OpenMP's second thread made them 3-10x slower."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        before = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            return fn(*args, **kwargs)
        finally:
            torch.set_num_threads(before)

    return wrapper


def gumbel_noise(shape: tuple[int, ...], seed: int, dtype: torch.dtype = DTYPE) -> torch.Tensor:
    """i.i.d. standard Gumbel noise g = −log E with E ~ Exp(1) (the law of −log(−log U)), from a seeded
    generator: the global random state is not touched."""
    generator = torch.Generator().manual_seed(seed)
    exponential = torch.empty(shape, dtype=dtype).exponential_(generator=generator)
    return -exponential.clamp_min(torch.finfo(dtype).tiny).log()


def gumbel_max(logits: torch.Tensor, gumbel: torch.Tensor) -> torch.Tensor:
    """Category indices argmax(θ + g): samples of softmax(θ), one per row of `gumbel`."""
    return (logits + gumbel).argmax(-1)


def one_hot(index: torch.Tensor, k: int, dtype: torch.dtype = DTYPE) -> torch.Tensor:
    return torch.nn.functional.one_hot(index, k).to(dtype)


def relaxed_sample(logits: torch.Tensor, gumbel: torch.Tensor, tau: float | torch.Tensor) -> torch.Tensor:
    """Gumbel-softmax samples softmax((θ + g) / τ); `tau` may be a tensor that broadcasts (one τ per block)."""
    return ((logits + gumbel) / tau).softmax(-1)


def straight_through(hard: torch.Tensor, soft: torch.Tensor) -> torch.Tensor:
    """sg(hard − soft) + soft: forward value `hard`, backward gradient that of `soft`."""
    return (hard - soft).detach() + soft


def chi_square(counts: np.ndarray | torch.Tensor, probs: np.ndarray | torch.Tensor) -> tuple[float, float]:
    """Pearson's goodness-of-fit test of `counts` against `probs`: the statistic X² = Σ (O − E)² / E and its
    p-value P(χ²_{K−1} ≥ X²) = Q((K − 1)/2, X²/2), Q the regularized upper incomplete gamma function."""
    counts = torch.as_tensor(counts, dtype=DTYPE)
    probs = torch.as_tensor(probs, dtype=DTYPE)
    expected = counts.sum() * probs
    statistic = ((counts - expected) ** 2 / expected).sum()
    dof = torch.tensor((len(probs) - 1) / 2, dtype=DTYPE)
    return float(statistic), float(torch.special.gammaincc(dof, statistic / 2))


@one_thread
def gumbel_max_report(logits: tuple[float, ...], sizes: tuple[int, ...], seed: int = 0) -> dict:
    """Gumbel-max samples of softmax(logits), one stream of max(sizes) draws read at each size: counts per
    category, the χ² test against p and the total-variation distance ½ Σ |freq − p| at every size."""
    theta = torch.tensor(logits, dtype=DTYPE)
    index = gumbel_max(theta, gumbel_noise((max(sizes), len(logits)), seed))
    counts = torch.stack([torch.bincount(index[:n], minlength=len(logits)) for n in sizes]).to(DTYPE)
    probs = theta.softmax(-1)
    tests = [chi_square(c, probs) for c in counts]
    freqs = counts / torch.tensor(sizes, dtype=DTYPE)[:, None]
    return {"sizes": np.array(sizes), "probs": probs.numpy(), "counts": counts.numpy(),
            "chi2": np.array([t[0] for t in tests]), "p_value": np.array([t[1] for t in tests]),
            "tv": 0.5 * (freqs - probs).abs().sum(-1).numpy()}


@one_thread
def simplex_report(logits: tuple[float, ...], tau: float, n: int = 1500, seed: int = 0) -> dict:
    """`n` Gumbel-softmax samples at temperature τ, their mean, the category each would pick (argmax), and p.
    The noise depends on the seed only, so a new τ moves the same points."""
    theta = torch.tensor(logits, dtype=DTYPE)
    gumbel = gumbel_noise((n, len(logits)), seed)
    samples = relaxed_sample(theta, gumbel, tau)
    return {"samples": samples.numpy(), "mean": samples.mean(0).numpy(), "probs": theta.softmax(-1).numpy(),
            "category": gumbel_max(theta, gumbel).numpy(), "tau": tau}
