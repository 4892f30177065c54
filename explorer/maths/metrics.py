"""Diagnostics of a trained VAE: posterior collapse, disentanglement, traversals, rate and distortion.

- Per-unit KL and active units: Burda, Grosse & Salakhutdinov, "Importance Weighted
  Autoencoders" (ICLR 2016), §5.2: a unit is active when Cov_x(E_q[z_u|x]) > 0.01.
- Collapsed units: Lucas, Tucker, Grosse & Norouzi, "Don't Blame the ELBO! A Linear VAE
  Perspective on Posterior Collapse" (NeurIPS 2019), §3: (epsilon, delta)-collapse.
- Mutual information gap: Chen, Li, Grosse & Duvenaud, "Isolating Sources of Disentanglement in
  Variational Autoencoders" (NeurIPS 2018), §4.1, with histogram estimates of the mutual
  information as in Locatello et al., "Challenging Common Assumptions in the Unsupervised
  Learning of Disentangled Representations" (ICML 2019).
- Latent traversals: Higgins et al., "beta-VAE: Learning Basic Visual Concepts with a
  Constrained Variational Framework" (ICLR 2017).
- Rate and distortion: Alemi et al., "Fixing a Broken ELBO" (ICML 2018).

All mutual informations and entropies are in nats. Functions take the model and tensors, and
return NumPy arrays or plain numbers, so a page only draws what they return.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from explorer.maths.latent import encode_means
from explorer.maths.objectives import kl_normal_standard_per_unit

ACTIVITY_THRESHOLD = 0.01  # Burda et al. 2016's cut-off on Cov_x(E_q[z_u|x])


def _device(model: nn.Module) -> torch.device:
    return next(model.parameters()).device


@torch.no_grad()
def kl_per_sample_and_unit(model: nn.Module, x: torch.Tensor, batch_size: int = 1024) -> np.ndarray:
    """KL(q(z_u|x_n) || N(0, 1)) for every sample n and latent unit u, (N, D) -> (N, J).

    q(z|x) is a diagonal Gaussian and p(z) = N(0, I) factorizes, so the KL of the whole code is
    the sum of these J closed-form terms, ½ (m² + s² - 1 - log s²) each
    (`objectives.kl_normal_standard_per_unit`).
    """
    device = _device(model)
    parts = [kl_normal_standard_per_unit(*model.encoder_params(x[i : i + batch_size].to(device))).cpu()
             for i in range(0, len(x), batch_size)]
    return torch.cat(parts).double().numpy()


def kl_per_unit(model: nn.Module, x: torch.Tensor, batch_size: int = 1024) -> np.ndarray:
    """E_x KL(q(z_u|x) || N(0, 1)) per latent unit, (J,), in nats.

    The rate of the whole code (`rate_distortion`) is the sum of these J numbers; a unit whose
    mean KL is ~0 carries no information about x: q(z_u|x) = p(z_u) for (almost) every x.
    """
    return kl_per_sample_and_unit(model, x, batch_size).mean(axis=0)


def active_units(model: nn.Module, x: torch.Tensor,
                 threshold: float = ACTIVITY_THRESHOLD) -> tuple[np.ndarray, np.ndarray]:
    """(mask (J,) bool, activity (J,)): unit u is active when A_u = Cov_x(E_q[z_u|x]) > threshold.

    A_u is the variance over the data of the unit's posterior mean (Burda et al. 2016, §5.2): a
    unit whose mean does not move with x cannot pass anything about x to the decoder, whatever
    its KL. Works for an autoencoder too, whose code is its own "posterior mean".
    """
    means = encode_means(model, x).astype(np.float64)  # (N, J)
    activity = means.var(axis=0)
    return activity > threshold, activity


def collapsed_units(model: nn.Module, x: torch.Tensor, epsilon: float = 0.01, delta: float = 0.05) -> np.ndarray:
    """(J,) bool: unit u is (epsilon, delta)-collapsed (Lucas et al. 2019, §3).

    That is, P_x[KL(q(z_u|x) || p(z_u)) < epsilon] >= 1 - delta: for all but a fraction delta of
    the data, the unit's posterior is within epsilon nats of the prior, so it is ignored.
    """
    near_prior = kl_per_sample_and_unit(model, x) < epsilon  # (N, J)
    return near_prior.mean(axis=0) >= 1.0 - delta


# --- the mutual information gap -------------------------------------------------------------------

def discretize(values: np.ndarray, n_bins: int) -> np.ndarray:
    """Bin indices 0..n_bins-1 of equal-width bins spanning [min, max] of `values`, (N,) -> (N,).

    Equal-width bins as in Locatello et al. 2019's reference code; a constant column falls into
    one bin, so it shares no information with anything.
    """
    low, high = float(values.min()), float(values.max())
    if high == low:
        return np.zeros(len(values), dtype=np.int64)
    index = np.floor((values - low) / (high - low) * n_bins).astype(np.int64)
    return np.minimum(index, n_bins - 1)  # the maximum itself belongs to the last bin


def discrete_entropy(labels: np.ndarray) -> float:
    """H(a) = -Σ_a p(a) log p(a) in nats, with p the empirical frequencies of the labels."""
    p = np.bincount(labels) / len(labels)
    p = p[p > 0]
    return float(-(p * np.log(p)).sum())


def discrete_mutual_information(a: np.ndarray, b: np.ndarray) -> float:
    """I(a; b) = Σ_{a,b} p(a, b) log(p(a, b) / (p(a) p(b))) in nats, for integer labels.

    p(a, b) is the empirical joint frequency (a contingency table); I = H(a) + H(b) - H(a, b),
    so I(a; a) = H(a), and I = 0 when the table is the product of its margins.
    """
    n_a, n_b = int(a.max()) + 1, int(b.max()) + 1
    joint = np.bincount(a * n_b + b, minlength=n_a * n_b).reshape(n_a, n_b) / len(a)
    p_a, p_b = joint.sum(axis=1, keepdims=True), joint.sum(axis=0, keepdims=True)
    nonzero = joint > 0
    return float((joint[nonzero] * np.log(joint[nonzero] / (p_a * p_b)[nonzero])).sum())


def is_discrete_factor(values: np.ndarray, n_bins: int) -> bool:
    """A factor counts as discrete when it takes at most n_bins distinct integer values (a class)."""
    return bool(np.all(values == np.round(values)) and len(np.unique(values)) <= n_bins)


def factor_labels(factors: np.ndarray, discrete: Sequence[bool], n_bins: int) -> np.ndarray:
    """(N, K) integer labels: discrete factors as their classes, continuous ones binned."""
    columns = [np.unique(column, return_inverse=True)[1].reshape(-1) if is_class else discretize(column, n_bins)
               for column, is_class in zip(factors.T, discrete, strict=True)]
    return np.stack(columns, axis=1).astype(np.int64)


def mutual_information_gap(codes, factors, discrete: Sequence[bool] | str = "auto", n_bins: int = 20) -> dict:
    """MIG of Chen et al. 2018: how much more the best unit knows about each factor than the runner-up.

    MIG = 1/K Σ_k (I(z_j(k); v_k) - max_{j ≠ j(k)} I(z_j; v_k)) / H(v_k), j(k) = argmax_j I(z_j; v_k).
    Each code dimension is cut into n_bins equal-width bins, as is each continuous factor
    (discrete factors keep their classes); I and H are then plug-in histogram estimates. Dividing
    by H(v_k) puts each gap in [0, 1]: I(z_j; v_k) = H(v_k) − H(v_k | z_j) ≤ H(v_k), so H(v_k) is an upper
    bound of max_j I(z_j; v_k), reached only by a unit whose bin fixes the factor. With one unit the
    runner-up is 0.
    A constant factor (H = 0) has nothing to disentangle: its gap is NaN and left out of the mean.

    codes (N, J) and factors (N, K), arrays or tensors; `discrete` is one flag per factor or
    "auto" (`is_discrete_factor`). Returns mig, gaps (K,), mi (J, K), factor_entropies (K,),
    discrete (the flags used).
    """
    codes, factors = np.asarray(codes, dtype=np.float64), np.asarray(factors, dtype=np.float64)
    if codes.ndim != 2 or factors.ndim != 2 or len(codes) != len(factors):
        raise ValueError(f"codes (N, J) and factors (N, K) must share N: got {codes.shape} and {factors.shape}")
    if discrete == "auto":
        discrete = tuple(is_discrete_factor(column, n_bins) for column in factors.T)
    if len(discrete) != factors.shape[1]:
        raise ValueError(f"discrete has {len(discrete)} flags for {factors.shape[1]} factors")
    code_labels = np.stack([discretize(column, n_bins) for column in codes.T], axis=1)
    labels = factor_labels(factors, discrete, n_bins)
    mi = np.array([[discrete_mutual_information(code_labels[:, j], labels[:, k]) for k in range(labels.shape[1])]
                   for j in range(code_labels.shape[1])])
    entropies = np.array([discrete_entropy(column) for column in labels.T])
    ranked = np.sort(mi, axis=0)[::-1]  # (J, K), largest first in each column
    runner_up = ranked[1] if len(ranked) > 1 else np.zeros(mi.shape[1])
    with np.errstate(divide="ignore", invalid="ignore"):
        gaps = np.where(entropies > 0, (ranked[0] - runner_up) / entropies, np.nan)
    mig = float(np.nanmean(gaps)) if np.isfinite(gaps).any() else float("nan")
    return {"mig": mig, "gaps": gaps, "mi": mi, "factor_entropies": entropies, "discrete": tuple(discrete)}


def mig_of_model(model: nn.Module, dataset, n: int = 5000, **options) -> dict:
    """MIG of the posterior means E_q[z|x] of the first n samples of a dataset with true factors.

    `options` go to `mutual_information_gap` (discrete, n_bins); the result also names the factors.
    """
    if dataset.factors is None:
        raise ValueError(f"dataset {dataset.name!r} has no ground-truth factors, so MIG cannot be "
                         "computed: use a dataset with factors, such as 'sprites'")
    codes = encode_means(model, dataset.x[:n])
    result = mutual_information_gap(codes, dataset.factors[:n].numpy(), **options)
    return {**result, "factor_names": tuple(dataset.factor_names)}


# --- reconstruction error: one definition --------------------------------------------------------------

# The app's one reconstruction error and its label: "MSE" once meant a sum over pixels on one page and a
# per-pixel mean, 784× smaller, on another (issue 20, item 3).
SQUARED_ERROR_LABEL = "squared error ‖x − x̂‖² (sum over pixels, per image)"


def squared_error_per_image(x, x_hat):
    """‖x − x̂‖² = Σ_pixels (x_i − x̂_i)² of every image (row): (B, D) twice -> (B,); a tensor for two tensors,
    else a float64 array. Summed, not averaged, over pixels: the number the Gaussian decoder's
    distortion ‖x − x̂‖²/(2σ²) scales and the manifest's `test_squared_error` holds."""
    if isinstance(x, torch.Tensor) and isinstance(x_hat, torch.Tensor):
        return (x - x_hat).pow(2).sum(dim=-1)
    difference = np.asarray(x, dtype=np.float64) - np.asarray(x_hat, dtype=np.float64)
    return (difference**2).sum(axis=-1)


# --- traversals and the rate-distortion plane -----------------------------------------------------

@torch.no_grad()
def latent_traversal(model: nn.Module, x_single: torch.Tensor,
                     values: Sequence[float] = np.linspace(-3, 3, 9)) -> np.ndarray:
    """E[x|z] along each latent axis through the posterior mean of one input, (J, len(values), D).

    Row j, column v decodes z = mu(x) with z_j replaced by values[v] (Higgins et al. 2017): in a
    disentangled model each row changes one factor of the image and nothing else.
    """
    device = _device(model)
    mean = model.encode(x_single.reshape(1, -1).to(device)).mean[0]  # (J,)
    steps = torch.as_tensor(np.asarray(values), dtype=mean.dtype, device=device)
    n_units, n_steps = len(mean), len(steps)
    codes = mean.repeat(n_units, n_steps, 1)  # (J, V, J), every row the posterior mean
    unit = torch.arange(n_units, device=device)
    codes[unit, :, unit] = steps  # row j: unit j runs through the values
    decoded = model.decode_mean(codes.reshape(n_units * n_steps, n_units))
    return decoded.reshape(n_units, n_steps, -1).cpu().numpy()


@torch.no_grad()
def rate_distortion(model: nn.Module, x: torch.Tensor, n_samples: int = 1, batch_size: int = 1024,
                    generator: torch.Generator | None = None) -> dict:
    """The two terms of -ELBO (Alemi et al. 2018), means over x in nats, and the mean's squared error.

    rate R = E_x KL(q(z|x) || p(z)), in closed form; distortion D = -E_x E_q log p(x|z), estimated
    with n_samples reparameterized draws from `generator` (the 'recon' term of `model.loss`), so R + D = -ELBO.
    squared_error = E_x ||x - E[x|z = mu(x)]||² (`squared_error_per_image`, a sum over pixels): the error of the
    posterior-mean reconstruction, comparable between decoders whose log-likelihoods are not.
    """
    device = _device(model)
    rate = distortion = squared_error = 0.0
    for i in range(0, len(x), batch_size):
        batch = x[i : i + batch_size].to(device)
        mu, logvar = model.encoder_params(batch)
        rate += kl_normal_standard_per_unit(mu, logvar).sum().item()
        recon = sum(model.loss(batch, beta=1.0, reduce=False, generator=generator)["recon"] for _ in range(n_samples))
        distortion += recon.sum().item() / n_samples
        squared_error += squared_error_per_image(batch, model.decode_mean(mu)).sum().item()
    n = len(x)
    return {"rate": rate / n, "distortion": distortion / n, "elbo": -(rate + distortion) / n,
            "squared_error": squared_error / n}


# --- a Gaussian decoder's distortion, split ------------------------------------------------------

def gaussian_log_normaliser(dim: int, sigma: float) -> float:
    """(d/2)·log(2πσ²) nats per image: the part of −log N(x; x̂, σ²I) that no reconstruction changes.

    It is negative when σ < 1/√(2π) ≈ 0.40: a density, unlike a probability, can exceed 1, and
    N(x; x̂, σ²I) does near x̂ when σ is small. At d = 784 and σ = 0.1 it is −1,085 nats per image,
    which is why the β page's distortion read −950 nats."""
    return 0.5 * dim * float(np.log(2 * np.pi * sigma**2))


def gaussian_distortion_parts(x: torch.Tensor, mean: torch.Tensor, sigma: float) -> dict[str, torch.Tensor]:
    """−log N(x; x̂, σ²I) per image (rows of x), in nats per image, as its two parts:

        −log N(x; x̂, σ²I) = Σ_i [(x_i − x̂_i)²/(2σ²) + ½·log(2πσ²)] = ‖x − x̂‖²/(2σ²) + (d/2)·log(2πσ²),

    "scaled_error" ≥ 0, which training lowers, and "log_normaliser" (`gaussian_log_normaliser`), fixed by d and σ."""
    scaled_error = (x - mean).pow(2).sum(-1) / (2 * sigma**2)
    return {"scaled_error": scaled_error,
            "log_normaliser": torch.full_like(scaled_error, gaussian_log_normaliser(x.shape[-1], sigma))}


def split_gaussian_distortion(distortion: float, dim: int, sigma: float) -> dict[str, float]:
    """A Gaussian decoder's distortion D = E −log N(x; x̂, σ²I) (nats per image, from `rate_distortion`) as
    E ‖x − x̂‖²/(2σ²) + (d/2)·log(2πσ²): the second part is exact, so the first is D minus it."""
    log_normaliser = gaussian_log_normaliser(dim, sigma)
    return {"scaled_error": distortion - log_normaliser, "log_normaliser": log_normaliser}
