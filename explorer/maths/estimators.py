"""Gradient estimators of ∇_φ E_{q_φ}[f], and the exact gradients they estimate, so that bias and variance
are measured rather than guessed.

Gaussian q = N(μ, σ²), φ = (μ, σ):
- pathwise, the reparameterization trick (Kingma & Welling 2014; Rezende et al. 2014): z = μ + σ·ε with
  ε ~ N(0, 1) moves the randomness out of q, so ∇E_q[f(z)] = E_ε[∇_φ f(μ + σε)] = E_ε[f'(z)·(1, ε)].
  It needs f differentiable: for a step function f' = 0 almost everywhere, and the estimate is 0.
- score function, REINFORCE (Williams 1992): ∇∫q f = ∫ q f ∇log q = E_q[f(z) ∇log q(z)], with
  ∇_μ log q = ε/σ and ∇_σ log q = (ε² − 1)/σ. It needs only values of f. A baseline b that does not depend
  on z keeps it unbiased, because E_q[∇log q] = ∇∫q = 0, and lowers its variance when b is close to f.
Categorical q = softmax(θ), an objective f(y) of the one-hot code y:
- exact, by enumeration: ∇_θ Σ_k p_k f_k = Σ_k f_k ∂p_k/∂θ = Σ_k f_k p_k (e_k − p) = p ⊙ (f − p·f).
- REINFORCE: f(e_k) ∇_θ log p_k = f(e_k)(e_k − p) for k ~ p.
- straight-through (Bengio et al. 2013): forward the sample's one-hot code, backward as if it were
  softmax(θ/τ): y = sg(hard − soft) + soft (see `explorer.maths.gumbel`). Biased when f is not linear in y; the
  lecture's slide writes the soft code with a temperature, and τ = 1 is Bengio et al.'s softmax(θ).
- Gumbel-softmax (Jang et al. 2017; Maddison et al. 2017): the pathwise gradient of f(softmax((θ + g)/τ)).
  Unbiased for the relaxed objective, biased for the discrete one; the bias shrinks as τ → 0 while the
  variance grows (the softmax's Jacobian scales as 1/τ).
- straight-through Gumbel: forward one_hot(argmax(θ + g)), backward through softmax((θ + g)/τ).

Every estimator returns one gradient per sample, all samples in one autograd call: each sample gets its own
copy of the parameters, so the gradient of the summed surrogate with respect to a copy is that sample's.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch.distributions import Normal

from explorer.maths.gumbel import DTYPE, gumbel_max, gumbel_noise, one_hot, relaxed_sample, straight_through
from explorer.runtime.threads import torch_threads

GAUSSIAN_ESTIMATORS = ("pathwise", "score function", "score + baseline")
CATEGORICAL_ESTIMATORS = ("REINFORCE", "straight-through", "Gumbel-softmax", "straight-through Gumbel")
BASELINE_DRAWS = 100


def per_sample_gradients(surrogate: Callable[..., torch.Tensor], *params: torch.Tensor) -> list[torch.Tensor]:
    """Gradients of surrogate(*params).sum() with respect to each of `params` (copies, one per sample)."""
    params = [p.detach().clone().requires_grad_(True) for p in params]
    return list(torch.autograd.grad(surrogate(*params).sum(), params))


def standard_normal(shape: int | tuple[int, ...], seed: int) -> torch.Tensor:
    return torch.randn(shape, generator=torch.Generator().manual_seed(seed), dtype=DTYPE)


# --- a Gaussian q --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class GaussianObjective:
    """f(z) for E_{z~N(μ, σ²)}[f(z)]: "square" (z − a)², "sin" sin z, or "step" 1[z > a] (not differentiable)."""

    kind: str = "square"
    a: float = 1.0

    def __post_init__(self) -> None:
        if self.kind not in ("square", "sin", "step"):
            raise ValueError(f"unknown objective {self.kind!r}: use 'square', 'sin' or 'step'")

    def __call__(self, z: torch.Tensor) -> torch.Tensor:
        if self.kind == "square":
            return (z - self.a) ** 2
        if self.kind == "sin":
            return torch.sin(z)
        return (z > self.a).to(z.dtype) + 0 * z  # f' = 0 almost everywhere; + 0·z lets autograd say so

    def expectation(self, mu: float, sigma: float) -> float:
        """E(z−a)² = (μ−a)² + σ²; E sin z = Im E e^{iz} = sin μ·e^{−σ²/2}; E 1[z>a] = Φ((μ−a)/σ)."""
        if self.kind == "square":
            return (mu - self.a) ** 2 + sigma**2
        if self.kind == "sin":
            return math.sin(mu) * math.exp(-sigma**2 / 2)
        return 0.5 * math.erfc(-(mu - self.a) / (sigma * math.sqrt(2)))

    def exact_gradient(self, mu: float, sigma: float) -> np.ndarray:
        """(∂/∂μ, ∂/∂σ) of `expectation`: (2(μ−a), 2σ); e^{−σ²/2}(cos μ, −σ sin μ); φ(u)(1, −u)/σ, u = (μ−a)/σ."""
        if self.kind == "square":
            return np.array([2 * (mu - self.a), 2 * sigma])
        if self.kind == "sin":
            return math.exp(-sigma**2 / 2) * np.array([math.cos(mu), -sigma * math.sin(mu)])
        u = (mu - self.a) / sigma
        return math.exp(-u**2 / 2) / math.sqrt(2 * math.pi) * np.array([1.0, -u]) / sigma


def _copies(value: float, like: torch.Tensor) -> torch.Tensor:
    return torch.full_like(like, float(value))


def pathwise(objective: GaussianObjective, mu: float, sigma: float, eps: torch.Tensor) -> torch.Tensor:
    """Reparameterized gradients ∇_{μ,σ} f(μ + σε), shape (*eps.shape, 2)."""
    grads = per_sample_gradients(lambda m, s: objective(m + s * eps), _copies(mu, eps), _copies(sigma, eps))
    return torch.stack(grads, -1)


def score_function(objective: GaussianObjective, mu: float, sigma: float, eps: torch.Tensor,
                   baseline: float = 0.0) -> torch.Tensor:
    """REINFORCE gradients (f(z) − b)·∇_{μ,σ} log N(z; μ, σ²) at z = μ + σε, shape (*eps.shape, 2).
    The surrogate (f(z) − b)·log q(z) is differentiated with z held fixed: no gradient flows through f."""
    z = mu + sigma * eps
    weight = objective(z).detach() - baseline
    grads = per_sample_gradients(lambda m, s: weight * Normal(m, s).log_prob(z), _copies(mu, eps),
                                 _copies(sigma, eps))
    return torch.stack(grads, -1)


def baseline(objective: GaussianObjective, mu: float, sigma: float, seed: int) -> float:
    """b = the mean of f over BASELINE_DRAWS draws of q independent of the estimator's samples (in training,
    a running mean of past losses): a constant for those samples, so REINFORCE stays unbiased. It lowers the
    variance when f stays near E f; the best constant, E[f·s²]/E[s²] for a score s, can be far from E f (sin z)."""
    return float(objective(mu + sigma * standard_normal(BASELINE_DRAWS, seed)).mean())


def gaussian_estimates(objective: GaussianObjective, mu: float, sigma: float, eps: torch.Tensor,
                       seed: int) -> dict[str, torch.Tensor]:
    """The page's three estimators on the same ε; the baseline's draws come from `seed`."""
    return {"pathwise": pathwise(objective, mu, sigma, eps),
            "score function": score_function(objective, mu, sigma, eps),
            "score + baseline": score_function(objective, mu, sigma, eps, baseline(objective, mu, sigma, seed))}


def reparameterize(mu: float, sigma: float, eps: np.ndarray) -> np.ndarray:
    return mu + sigma * eps


@torch_threads(1)
def gaussian_report(objective: GaussianObjective, mu: float, sigma: float, n: int = 10_000, seed: int = 0) -> dict:
    """Per-sample gradients (n, 2) of each estimator, their means, standard errors and variances, the exact
    gradient and the baseline, as numpy arrays; component 0 is ∂/∂μ, 1 is ∂/∂σ."""
    estimates = gaussian_estimates(objective, mu, sigma, standard_normal(n, seed), seed + 1)
    return {"exact": objective.exact_gradient(mu, sigma),
            "samples": {name: g.numpy() for name, g in estimates.items()},
            "mean": {name: g.mean(0).numpy() for name, g in estimates.items()},
            "stderr": {name: (g.var(0) / n).sqrt().numpy() for name, g in estimates.items()},
            "variance": {name: g.var(0).numpy() for name, g in estimates.items()},
            "baseline": baseline(objective, mu, sigma, seed + 1)}


@torch_threads(1)
def variance_by_sample_size(objective: GaussianObjective, mu: float, sigma: float,
                            sizes: tuple[int, ...] = (1, 3, 10, 30, 100, 300, 1000), repeats: int = 100,
                            seed: int = 1) -> dict:
    """Variance of the N-sample average of each estimator, measured over `repeats` independent averages for
    every N in `sizes` (N-prefixes of one (repeats, max N) draw), and the per-sample variance v for v/N lines."""
    estimates = gaussian_estimates(objective, mu, sigma, standard_normal((repeats, max(sizes)), seed), seed + 1)
    index = torch.tensor(sizes) - 1
    counts = torch.tensor(sizes, dtype=DTYPE)[:, None]
    measured = {name: (g.cumsum(1)[:, index] / counts).var(0).numpy() for name, g in estimates.items()}
    per_sample = {name: g.reshape(-1, 2).var(0).numpy() for name, g in estimates.items()}
    return {"sizes": np.array(sizes), "measured": measured, "per_sample": per_sample}


# --- a categorical q ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class CategoricalObjective:
    """f(y) = ‖y − t‖², the squared distance of a code y to a target t (a soft label). On one-hot codes
    f(e_k) = 1 − 2t_k + ‖t‖²; for relaxed codes inside the simplex f is not linear in y, so straight-through
    and Gumbel-softmax gradients are biased (for a linear f·y straight-through would be exact)."""

    target: tuple[float, ...] = (0.1, 0.7, 0.2)

    def __call__(self, y: torch.Tensor) -> torch.Tensor:
        return ((y - torch.tensor(self.target, dtype=y.dtype)) ** 2).sum(-1)

    def gradient(self, y: torch.Tensor) -> torch.Tensor:
        """∂f/∂y = 2(y − t): the upstream gradient that reaches the code."""
        return 2 * (y - torch.tensor(self.target, dtype=y.dtype))

    def values(self) -> torch.Tensor:
        """f(e_k) for every category k."""
        return self(torch.eye(len(self.target), dtype=DTYPE))

    def expectation(self, logits: torch.Tensor) -> torch.Tensor:
        return logits.softmax(-1) @ self.values()

    def exact_gradient(self, logits: torch.Tensor) -> torch.Tensor:
        """Σ_k f_k ∂p_k/∂θ = p ⊙ (f − p·f), by enumeration over the categories."""
        p, f = logits.softmax(-1), self.values()
        return p * (f - p @ f)


def _logit_copies(logits: torch.Tensor, gumbel: torch.Tensor, tau: float | torch.Tensor = 1.0) -> torch.Tensor:
    shape = torch.broadcast_shapes(logits.shape, gumbel.shape, torch.as_tensor(tau).shape)
    return logits.expand(shape)


def reinforce(objective: CategoricalObjective, logits: torch.Tensor, gumbel: torch.Tensor,
              baseline: float = 0.0) -> torch.Tensor:
    """(f(e_k) − b)·∇_θ log p_k with k = argmax(θ + g) ~ p: one gradient per row of `gumbel`."""
    k = gumbel_max(logits, gumbel)
    weight = objective.values()[k] - baseline
    return per_sample_gradients(lambda th: weight * th.log_softmax(-1).gather(-1, k[..., None])[..., 0],
                                _logit_copies(logits, gumbel))[0]


def straight_through_estimator(objective: CategoricalObjective, logits: torch.Tensor, gumbel: torch.Tensor,
                               tau: float | torch.Tensor = 1.0) -> torch.Tensor:
    """∇_θ f(sg(hard − soft) + soft), hard = one_hot(argmax(θ + g)) a sample, soft = softmax(θ/τ): per sample
    Jᵀ ∂f/∂y at y = hard, J = ∂soft/∂θ = (diag(soft) − soft softᵀ)/τ. Unlike straight-through Gumbel the
    soft code has no noise; τ = 1 is Bengio et al.'s softmax(θ)."""
    hard = one_hot(gumbel_max(logits, gumbel), logits.shape[-1])
    return per_sample_gradients(lambda th: objective(straight_through(hard, (th / tau).softmax(-1))),
                                _logit_copies(logits, gumbel, tau))[0]


def gumbel_softmax_estimator(objective: CategoricalObjective, logits: torch.Tensor, gumbel: torch.Tensor,
                             tau: float | torch.Tensor) -> torch.Tensor:
    """∇_θ f(softmax((θ + g)/τ)): the pathwise gradient of the relaxed objective."""
    return per_sample_gradients(lambda th: objective(relaxed_sample(th, gumbel, tau)),
                                _logit_copies(logits, gumbel, tau))[0]


def straight_through_gumbel(objective: CategoricalObjective, logits: torch.Tensor, gumbel: torch.Tensor,
                            tau: float | torch.Tensor) -> torch.Tensor:
    """∇_θ f(sg(hard − soft) + soft), hard = one_hot(argmax(θ + g)), soft = softmax((θ + g)/τ)."""
    hard = one_hot(gumbel_max(logits, gumbel), logits.shape[-1])
    return per_sample_gradients(lambda th: objective(straight_through(hard, relaxed_sample(th, gumbel, tau))),
                                _logit_copies(logits, gumbel, tau))[0]


def _bias_and_variance(grads: torch.Tensor, exact: torch.Tensor) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """‖mean − exact‖, the total per-sample variance tr Cov, and the standard error √(tr Cov / n) of the
    mean (the size of the "bias" an unbiased estimator shows by chance), over the samples axis (−2)."""
    variance = grads.var(-2).sum(-1)
    return ((grads.mean(-2) - exact).norm(dim=-1).numpy(), variance.numpy(),
            (variance / grads.shape[-2]).sqrt().numpy())


@torch_threads(1)
def bias_variance_report(objective: CategoricalObjective, logits: tuple[float, ...], taus: tuple[float, ...],
                         n: int = 10_000, seed: int = 0) -> dict:
    """Bias, variance and standard error of each categorical estimator at every τ, measured on n samples
    (the same Gumbel noise for every estimator and every τ) against the exact gradient. REINFORCE has no
    temperature: its values repeat along τ."""
    theta = torch.tensor(logits, dtype=DTYPE)
    exact = objective.exact_gradient(theta)
    gumbel = gumbel_noise((n, len(logits)), torch.Generator().manual_seed(seed))
    tau = torch.tensor(taus, dtype=DTYPE)[:, None, None]
    grads = {"REINFORCE": reinforce(objective, theta, gumbel).expand(len(taus), -1, -1),
             "straight-through": straight_through_estimator(objective, theta, gumbel, tau),
             "Gumbel-softmax": gumbel_softmax_estimator(objective, theta, gumbel, tau),
             "straight-through Gumbel": straight_through_gumbel(objective, theta, gumbel, tau)}
    report = {"taus": np.array(taus), "exact": exact.numpy(), "n": n}
    for name, g in grads.items():
        bias, variance, stderr = _bias_and_variance(g, exact)
        report[name] = {"bias": bias, "variance": variance, "stderr": stderr}
    return report


@torch_threads(1)
def straight_through_identity(objective: CategoricalObjective, logits: tuple[float, ...], tau: float,
                              seed: int = 0) -> dict:
    """One draw of y = sg(hard − soft) + soft, soft = softmax((θ + g)/τ): its forward value (= hard), the
    upstream gradient u = ∂f/∂y at y, autograd's ∂f(y)/∂θ, and the softmax's Jacobian applied by hand,
    Jᵀu = (1/τ)·soft ⊙ (u − soft·u), using J = ∂soft/∂θ = (diag(soft) − soft softᵀ)/τ."""
    theta = torch.tensor(logits, dtype=DTYPE)
    gumbel = gumbel_noise((len(logits),), torch.Generator().manual_seed(seed))
    hard = one_hot(gumbel_max(theta, gumbel), len(logits))
    leaf = theta.clone().requires_grad_(True)
    soft = relaxed_sample(leaf, gumbel, tau)
    y = straight_through(hard, soft)
    (autograd,) = torch.autograd.grad(objective(y), leaf)
    soft, upstream = soft.detach(), objective.gradient(y.detach())
    by_hand = soft * (upstream - soft @ upstream) / tau
    return {"hard": hard.numpy(), "soft": soft.numpy(), "forward": y.detach().numpy(),
            "upstream": upstream.numpy(), "autograd": autograd.numpy(), "jacobian": by_hand.numpy()}
