"""The lecture's exercises, worked and checked: every number the "Exercises" and "Assignment" pages show.

1. The analytic KL of a Gaussian encoder. For q = N(μ, diag σ²) and p = N(0, I) in d dimensions,
       log q(z) = Σ_j [−½ log 2π − log σ_j − (z_j − μ_j)² / (2σ_j²)],   log p(z) = Σ_j [−½ log 2π − z_j² / 2],
   and under q, E(z_j − μ_j)² = σ_j² and E z_j² = μ_j² + σ_j², so
       E_q log q = −Σ_j (½ log 2π + log σ_j + ½),   E_q log p = −Σ_j (½ log 2π + ½(μ_j² + σ_j²)),
       KL(q ‖ p) = E_q log q − E_q log p = Σ_j (−log σ_j − ½ + ½(μ_j² + σ_j²)) = ½ Σ_j (μ_j² + σ_j² − 1 − log σ_j²).
   `kl_derivation` gives each step's value, `kl_monte_carlo` the estimate (1/N) Σ_n log q(z_n) − log p(z_n)
   with its standard error, `kl_torch` torch.distributions' value, `check_kl_expression` a student's formula.
2. The KL term of the VQ-VAE is a constant. q(k|x) is one-hot at the nearest code k*, p(k) = 1/K, so
       KL = Σ_k q_k log(q_k / p_k) = 1 · log(1 / (1/K)) + Σ_{k≠k*} 0 · log 0 = log K   (0 log 0 = 0),
   per code position: n_positions · log K for a whole grid, whatever x is. A soft q_k ∝ exp(−‖z_e − e_k‖²/T)
   gives KL(q ‖ uniform) = Σ_k q_k log q_k + log K = log K − H(q), which depends on x and T, and is < log K
   unless q is one-hot (H(q) ≥ 0, = 0 only for a point mass).
3. The Gumbel-max index is distributed as p = softmax(θ): see `explorer.maths.gumbel` for the proof;
   `gumbel_max_integral` evaluates its middle step P(k) = ∫ e^{θ_k − x} Π_i F_i(x) dx by quadrature.
4. The assignment: the project's own VAE on a toy 2-D set, its samples, its decoded latent grid and the source
   of its model, loss and training step, for students to compare with theirs.
"""

from __future__ import annotations

import inspect
import math
import textwrap
from dataclasses import dataclass

import numpy as np
import torch
from torch.distributions import Categorical, Independent, Normal, kl_divergence

from explorer import models
from explorer.maths import gumbel, latent, objectives, safe_expr
from explorer.models.common import mlp, reconstruction_nll
from explorer.models.gumbel import kl_to_uniform
from explorer.models.quantizer import squared_distances
from explorer.models.vae import VAE, VAEConfig
from explorer.runtime.threads import torch_threads
from explorer.training.train import TrainConfig, Trainer

DTYPE = torch.float64
CHECK_DIMS = (1, 2, 3, 4)  # a student's formula is checked in every one of these dimensions
CHECK_DRAWS = 20
RTOL, ATOL = 1e-6, 1e-9


def _vec(values) -> torch.Tensor:
    return torch.as_tensor(np.atleast_1d(np.asarray(values, dtype=np.float64)), dtype=DTYPE)


# --- 1. the analytic KL of a Gaussian encoder ----------------------------------------------------------

def gaussians(mu, sigma) -> tuple[Independent, Independent]:
    """q = N(μ, diag σ²) and p = N(0, I) as torch distributions with event shape (d,)."""
    mu, sigma = _vec(mu), _vec(sigma)
    return Independent(Normal(mu, sigma), 1), Independent(Normal(torch.zeros_like(mu), torch.ones_like(mu)), 1)


def kl_closed_form(mu, sigma) -> float:
    """½ Σ (μ² + σ² − 1 − log σ²): the model's own `objectives.kl_normal_standard` with logvar = log σ²."""
    return float(objectives.kl_normal_standard(_vec(mu), 2 * _vec(sigma).log()))


def kl_torch(mu, sigma) -> float:
    """torch.distributions.kl_divergence(q, p), an independent implementation of the same closed form."""
    return float(kl_divergence(*gaussians(mu, sigma)))


def kl_derivation(mu, sigma) -> dict:
    """The value of every step of the derivation in the module docstring, each in that step's own form."""
    mu, sigma = _vec(mu), _vec(sigma)
    half_log_2pi = 0.5 * math.log(2 * math.pi)
    e_log_q = -(half_log_2pi + sigma.log() + 0.5)  # (d,)
    e_log_p = -(half_log_2pi + 0.5 * (mu.pow(2) + sigma.pow(2)))  # (d,)
    per_unit = -sigma.log() - 0.5 + 0.5 * (mu.pow(2) + sigma.pow(2))  # (d,)
    return {"e_log_q": float(e_log_q.sum()), "e_log_p": float(e_log_p.sum()),
            "difference": float(e_log_q.sum() - e_log_p.sum()), "per_unit": per_unit.numpy(),
            "sum_per_unit": float(per_unit.sum()), "closed_form": kl_closed_form(mu, sigma)}


@torch_threads(1)
def kl_monte_carlo(mu, sigma, n: int = 10_000, seed: int = 0) -> dict:
    """(1/N) Σ log q(z_n) − log p(z_n) for z_n = μ + σ ε_n, with its standard error sd/√N, its running value
    at growing N (for a convergence plot), and the sample moments of step 3 next to their exact values."""
    q, p = gaussians(mu, sigma)
    mu_t, sigma_t = q.base_dist.loc, q.base_dist.scale
    eps = torch.randn(n, len(mu_t), generator=torch.Generator().manual_seed(seed), dtype=DTYPE)
    z = mu_t + sigma_t * eps  # (N, d)
    log_ratio = q.log_prob(z) - p.log_prob(z)  # (N,)
    sizes = np.unique(np.geomspace(10, n, 40).astype(int))
    running = log_ratio.cumsum(0)[sizes - 1] / torch.as_tensor(sizes, dtype=DTYPE)
    running_sd = torch.stack([log_ratio[:m].std() for m in sizes]) / torch.as_tensor(sizes, dtype=DTYPE).sqrt()
    return {"estimate": float(log_ratio.mean()), "stderr": float(log_ratio.std() / math.sqrt(n)), "n": n,
            "sizes": sizes, "running": running.numpy(), "running_stderr": running_sd.numpy(),
            "e_log_p": float(p.log_prob(z).mean()),
            "centred_square": (z - mu_t).pow(2).mean(0).numpy(), "square": z.pow(2).mean(0).numpy()}


@dataclass(frozen=True)
class Verdict:
    """The outcome of checking a typed formula: status 'correct', 'wrong' or 'refused'."""

    status: str
    message: str
    case: dict | None = None  # the first failing draw: mu, sigma, yours, expected
    checked: int = 0

    @property
    def correct(self) -> bool:
        return self.status == "correct"


def random_cases(n_draws: int = CHECK_DRAWS, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """Random (μ, σ) pairs in d = 1, 2, 3, 4 in turn: μ ~ N(0, 1.5²), σ log-uniform in [0.1, 3]."""
    rng = np.random.default_rng(seed)
    cases = []
    for i in range(n_draws):
        d = CHECK_DIMS[i % len(CHECK_DIMS)]
        cases.append((rng.normal(0.0, 1.5, d), np.exp(rng.uniform(math.log(0.1), math.log(3.0), d))))
    return cases


def check_kl_expression(text: str, n_draws: int = CHECK_DRAWS, seed: int = 0, first=None) -> Verdict:
    """A student's closed form, an expression of `mu` and `sigma` (vectors), checked against the KL on
    `n_draws` random (μ, σ) (`first`, the student's own sliders, first): refused unless `safe_expr` accepts
    it; wrong at the first draw where it differs (relative 1e-6); correct when it never does."""
    try:
        tree = safe_expr.parse(text, ("mu", "sigma"))
    except safe_expr.UnsafeExpression as err:
        return Verdict("refused", f"Not accepted: {err}.")
    cases = random_cases(n_draws, seed)
    if first is not None:
        cases = [tuple(np.atleast_1d(np.asarray(v, dtype=np.float64)) for v in first)] + cases[:-1]
    for i, (mu, sigma) in enumerate(cases):
        try:
            value = safe_expr.evaluate(tree, {"mu": mu, "sigma": sigma})
        except safe_expr.UnsafeExpression as err:
            return Verdict("refused", f"Not accepted: {err}.", checked=i)
        except (ArithmeticError, ValueError, TypeError) as err:  # whatever numpy raises is the answer's fault
            return Verdict("wrong", f"Your expression cannot be evaluated for d = {len(mu)} ({err}).", checked=i)
        expected = kl_closed_form(mu, sigma)
        case = {"mu": mu, "sigma": sigma, "yours": value, "expected": expected, "draw": i + 1}
        if value.shape != ():  # also at d = 1, where `mu` or the unsummed KL has one entry but is still a vector
            return Verdict("wrong", _shape_hint(value, len(mu)), case, i + 1)
        if not np.isclose(float(value), expected, rtol=RTOL, atol=ATOL):
            return Verdict("wrong", f"Not equal to the KL at draw {i + 1} of {len(cases)} (d = {len(mu)}).",
                           case, i + 1)
    return Verdict("correct", f"Correct: equal to the KL at all {len(cases)} draws (d = 1 to 4).",
                   checked=len(cases))


def _shape_hint(value: np.ndarray, d: int) -> str:
    numbers = "1 number" if value.size == 1 else f"{value.size} numbers"
    return (f"For a {d}-dimensional μ your expression gives a vector of {numbers} (shape {value.shape}), not a "
            "single number; the KL is one number (a sum over the dimensions?).")


# --- 2. the VQ-VAE's KL is a constant -------------------------------------------------------------------

def one_hot_kl(k: int) -> dict:
    """KL(one-hot ‖ uniform over K), by torch.distributions and as Σ q log q − Σ q log p: both log K."""
    q = torch.zeros(k, dtype=DTYPE)
    q[0] = 1.0
    prior = Categorical(logits=torch.zeros(k, dtype=DTYPE))
    neg_entropy, cross = torch.special.xlogy(q, q).sum(), -(q * prior.logits).sum()
    return {"k": k, "log_k": math.log(k), "kl": float(kl_divergence(Categorical(probs=q), prior)),
            "neg_entropy": float(neg_entropy), "cross_entropy": float(cross), "sum": float(neg_entropy + cross)}


@torch_threads(1)
@torch.no_grad()
def vq_model_kl(model: torch.nn.Module, x: torch.Tensor) -> dict:
    """A VQ-VAE's KL for inputs x three ways: its `loss(x)["kl"]`, n_positions · log K, and KL(q ‖ p) by
    torch.distributions from its own codes (q one-hot at every position, p the model's uniform prior).
    Call with a model in eval mode: in training mode the quantizer would update its usage counters."""
    codes = model.codes(x)  # (B, *grid)
    k, dims = model.config.codebook_size, len(model.latent_shape)
    q = Independent(Categorical(probs=torch.nn.functional.one_hot(codes, k).to(DTYPE)), dims)
    prior = Independent(Categorical(logits=model.prior.base_dist.logits.to(DTYPE)), dims)
    return {"codes": codes.cpu().numpy(), "direct": kl_divergence(q, prior).cpu().numpy(),
            "reported": model.loss(x, reduce=False)["kl"].double().cpu().numpy(),
            "expected": model.n_positions * math.log(k), "n_positions": model.n_positions, "k": k,
            "distinct_codes": int(codes.unique().numel())}


@torch_threads(1)
@torch.no_grad()
def soft_code_kl(z_e: torch.Tensor, codebook: torch.Tensor, temperature: float) -> dict:
    """q_k ∝ exp(−‖z_e − e_k‖² / T) at every position of z_e (N, P, D): per input, KL(q ‖ uniform) summed
    over the P positions (exactly, `kl_to_uniform`), the summed entropy H(q), and torch.distributions' KL."""
    n, positions, dim = z_e.shape
    distances = squared_distances(z_e.reshape(-1, dim).to(DTYPE), codebook.to(DTYPE))  # (N·P, K)
    log_q = (-distances / temperature).log_softmax(-1).reshape(n, positions, -1)  # (N, P, K)
    k = log_q.shape[-1]
    q = Categorical(logits=log_q)
    direct = kl_divergence(q, Categorical(logits=torch.zeros(k, dtype=DTYPE))).sum(-1)
    return {"kl": kl_to_uniform(log_q).cpu().numpy(), "entropy": q.entropy().sum(-1).cpu().numpy(),
            "direct": direct.cpu().numpy(), "log_k": math.log(k), "positions": positions, "temperature": temperature}


@torch.no_grad()
def vq_soft_kl(model: torch.nn.Module, x: torch.Tensor, temperature: float) -> dict:
    """`soft_code_kl` of a VQ-VAE's encoder outputs against its codebook, one value per input image."""
    z_e = model.encode_continuous(x).reshape(x.shape[0], model.n_positions, model.config.code_dim)
    return soft_code_kl(z_e, model.codebook, temperature)


def toy_codes(k: int, n: int = 500, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """n 2-D 'encoder outputs' (n, 1, 2) and K codes (K, 2), all standard normal: a VQ layer without a model."""
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(n, 1, 2, generator=generator, dtype=DTYPE), torch.randn(k, 2, generator=generator, dtype=DTYPE)


# --- 3. the Gumbel-max index is distributed as p ---------------------------------------------------------

def gumbel_max_integral(logits, points: int = 40_001) -> np.ndarray:
    """P(k) = ∫ e^{θ_k − x} Π_i F_i(x) dx = ∫ exp(θ_k − x − e^{−x} Σ_i e^{θ_i}) dx by the trapezoid rule, over
    x ∈ log S + [−6, 40] (S = Σ e^{θ_i}), outside of which the integrand is below e^{−40}."""
    theta = np.asarray(logits, dtype=np.float64)
    log_s = float(np.log(np.exp(theta - theta.max()).sum()) + theta.max())
    x = np.linspace(log_s - 6.0, log_s + 40.0, points)
    integrand = np.exp(theta[:, None] - x - np.exp(log_s - x))  # (K, points)
    return np.trapezoid(integrand, x, axis=1)


@torch_threads(1)
def gumbel_max_check(logits, n: int = 10_000, seed: int = 1) -> dict:
    """n Gumbel-max draws argmax(θ + g): counts, the χ² test against p = softmax(θ) and against a wrong p
    (softmax(2θ), the logits doubled), each with the method of its p-value (`gumbel.chi_square`: Monte Carlo
    where an expected count is below 5), and P(k) by quadrature of the proof's integral."""
    theta = torch.tensor(logits, dtype=DTYPE)
    index = gumbel.gumbel_max(theta, gumbel.gumbel_noise((n, len(logits)), torch.Generator().manual_seed(seed)))
    counts = torch.bincount(index, minlength=len(logits)).to(DTYPE)
    probs, wrong = theta.softmax(-1), (2 * theta).softmax(-1)
    right, against_wrong = gumbel.chi_square(counts, probs, seed), gumbel.chi_square(counts, wrong, seed)
    return {"n": n, "probs": probs.numpy(), "counts": counts.numpy(), "frequencies": (counts / n).numpy(),
            "chi2": right.statistic, "p_value": right.p_value, "method": right.method,
            "wrong_probs": wrong.numpy(), "chi2_wrong": against_wrong.statistic,
            "p_value_wrong": against_wrong.p_value, "method_wrong": against_wrong.method,
            "integral": gumbel_max_integral(logits)}


@torch_threads(1)
def relaxed_limit(logits, taus: tuple[float, ...], n: int = 10_000, seed: int = 1) -> dict:
    """n Gumbel-softmax samples y = softmax((θ + g)/τ) per τ, the same noise for every τ: the frequencies of
    argmax y (the Gumbel-max index at every τ, since dividing by τ > 0 keeps the argmax) with their p-value,
    the mean of y and its distance ½ Σ|E y − p| to p (→ 0 as τ → 0, as y → one-hot), and the mean of max_k y_k."""
    theta = torch.tensor(logits, dtype=DTYPE)
    noise, probs = gumbel.gumbel_noise((n, len(logits)), torch.Generator().manual_seed(seed)), theta.softmax(-1)
    rows = []
    for tau in taus:
        y = gumbel.relaxed_sample(theta, noise, tau)  # (N, K)
        counts = torch.bincount(y.argmax(-1), minlength=len(logits)).to(DTYPE)
        mean = y.mean(0)
        test = gumbel.chi_square(counts, probs, seed)
        rows.append({"tau": tau, "frequencies": (counts / n).numpy(), "p_value": test.p_value, "method": test.method,
                     "mean": mean.numpy(), "tv_mean": float(0.5 * (mean - probs).abs().sum()),
                     "tv_argmax": float(0.5 * (counts / n - probs).abs().sum()),
                     "max_component": float(y.max(-1).values.mean())})
    return {"probs": probs.numpy(), "rows": rows, "n": n}


# --- 4. the assignment: a VAE on toy 2-D data -----------------------------------------------------------

ASSIGNMENT_MODEL = dict(x_dim=2, z_dim=2, hidden=(64, 64), likelihood="gaussian", decoder_sigma=0.1, image_shape=None)
LATENT_EXTENT = (-2.5, 2.5, -2.5, 2.5)  # the latent grid: ±2.5 prior standard deviations


def assignment_model(seed: int = 0) -> VAE:
    """The reference solution's model: 2 → 64 → 64 → (μ, log σ²) ∈ R² × R², and back; Gaussian p(x|z)."""
    return models.build_seeded("vae", None, seed, **ASSIGNMENT_MODEL)  # weights from its own generator


def assignment_config(steps: int = 1000, seed: int = 0) -> TrainConfig:
    return TrainConfig(steps=steps, batch_size=128, lr=2e-3, seed=seed, log_every=10, eval_every=max(1, steps // 5))


@torch.no_grad()
def prior_samples(model: torch.nn.Module, n: int = 500, seed: int = 0) -> np.ndarray:
    """Decoder means E[x|z] of n draws z ~ N(0, I), (n, 2): where the model puts its data."""
    z = torch.randn(n, model.config.z_dim, generator=torch.Generator().manual_seed(seed))
    return latent.decode_points(model, z.numpy())


@torch.no_grad()
def decoded_grid(model: torch.nn.Module, n: int = 15, extent=LATENT_EXTENT) -> np.ndarray:
    """The decoder's mean at an n×n grid of z over `extent`, (n, n, 2): row i holds the grid's i-th row."""
    return latent.decode_points(model, latent.grid_points(extent, n)).reshape(n, n, -1)


REFERENCE = {"VAEConfig": VAEConfig, "mlp": mlp, "VAE.encoder_params": VAE.encoder_params, "VAE.loss": VAE.loss,
             "kl_normal_standard": objectives.kl_normal_standard,
             "kl_normal_standard_per_unit": objectives.kl_normal_standard_per_unit,
             "reconstruction_nll": reconstruction_nll, "Trainer.step": Trainer.step}


def reference_sources() -> dict[str, str]:
    """The real source (dedented) of the reference model, loss and training step, by name."""
    return {name: textwrap.dedent(inspect.getsource(obj)) for name, obj in REFERENCE.items()}
