"""What the VQ-VAE page shows, as arrays (van den Oord, Vinyals & Kavukcuoglu, "Neural Discrete
Representation Learning", NeurIPS 2017): codebook usage on held-out data (per-code counts, perplexity,
dead codes), the codebook and a sample of encoder outputs z_e in 2-D by PCA, the token grid of an
image, and reconstructions of the same inputs by a Gaussian VAE and a VQ-VAE with each image's squared error
(`metrics.squared_error_per_image`, a sum over pixels, as everywhere in the app).
No Streamlit, no Plotly: the page's views and the benchmark call these.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from explorer.analysis.compare import reconstruct
from explorer.maths.metrics import squared_error_per_image
from explorer.models.quantizer import code_counts, perplexity

Z_E_SHOWN = 1000  # encoder outputs drawn beside the codebook in the PCA plane
BATCH = 1000  # images encoded at once


def architecture(image_shape: tuple[int, int]) -> dict:
    """The conv layers for an image size: two halvings (7×7 codes) for 28×28, one (4×4) for 8×8."""
    if min(image_shape) >= 28:
        return {"hidden": (32, 64), "code_dim": 16}
    return {"hidden": (32,), "code_dim": 8}


def compare(models: dict[str, nn.Module], x: torch.Tensor) -> dict[str, dict[str, np.ndarray]]:
    """Every model's reconstructions of the same inputs: name -> {"x_hat": (B, x_dim), "squared_error": (B,)},
    the squared error of each image summed over its pixels."""
    results = {}
    for name, model in models.items():
        x_hat = reconstruct(model, x).cpu().numpy()
        results[name] = {"x_hat": x_hat, "squared_error": squared_error_per_image(x.cpu().numpy(), x_hat)}
    return results


@torch.no_grad()
def codes_of(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """The VQ-VAE's codes of x, (B, x_dim) -> LongTensor (B, *grid) on the CPU, encoded in batches on the
    model's device."""
    device = next(model.parameters()).device
    return torch.cat([model.codes(rows.to(device)).cpu() for rows in x.split(BATCH)])


def codebook_usage(model: nn.Module, x: torch.Tensor) -> dict:
    """How the K codes are used on held-out inputs x: per-code counts (K,), the perplexity
    exp(H(usage)) (K when all are used equally), the dead codes (those no input picks) and how many inputs
    these numbers are about ("images", for the label)."""
    counts = code_counts(codes_of(model, x), model.config.codebook_size)
    return {"counts": counts.cpu().numpy(), "perplexity": float(perplexity(counts)),
            "dead_codes": int((counts == 0).sum()), "images": len(x)}


def pca_fit(points: np.ndarray, n_components: int = 2) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """PCA by SVD of the centred points (N, D): (mean (D,), components (n, D), explained variance ratio (n,)).
    A component's sign is fixed so that its largest-magnitude entry is positive."""
    mean = points.mean(axis=0)
    _, s, vt = np.linalg.svd(points - mean, full_matrices=False)
    components = vt[:n_components]  # (n, D)
    signs = np.sign(components[np.arange(len(components)), np.abs(components).argmax(axis=1)])
    variance = s**2
    ratio = variance[:n_components] / max(variance.sum(), np.finfo(float).tiny)
    return mean, components * signs[:, None], ratio


@torch.no_grad()
def encoder_outputs(model: nn.Module, x: torch.Tensor, n: int = Z_E_SHOWN, seed: int = 0) -> np.ndarray:
    """A fixed random sample of n encoder outputs z_e (rows of D numbers) of the inputs x: (n, D)."""
    z_e = model.encode_continuous(x)  # (B, *grid, D)
    flat = z_e.reshape(-1, z_e.shape[-1]).cpu().numpy()  # (B, *grid, D) -> (B·P, D)
    rows = np.random.default_rng(seed).permutation(len(flat))[:n]
    return flat[np.sort(rows)]


def codebook_plane(model: nn.Module, x: torch.Tensor, n: int = Z_E_SHOWN) -> dict:
    """The codebook (K, D) and n encoder outputs z_e, projected together on the top two principal
    directions of their union: {"codes_2d": (K, 2), "z_e_2d": (n, 2), "explained": (2,)}."""
    codebook = model.codebook.detach().cpu().numpy()  # (K, D)
    z_e = encoder_outputs(model, x, n)  # (n, D)
    mean, components, explained = pca_fit(np.concatenate([codebook, z_e]))  # fit on codebook ∪ z_e
    return {"codes_2d": (codebook - mean) @ components.T, "z_e_2d": (z_e - mean) @ components.T,
            "explained": explained}


@torch.no_grad()
def token_grid(model: nn.Module, x: torch.Tensor) -> dict[str, np.ndarray]:
    """One image (x_dim,): its codes on the (H', W') grid, and its reconstruction (H, W) from them."""
    codes = model.codes(x[None])  # (1, x_dim) -> (1, H', W')
    x_hat = model.decode_mean(codes)  # (1, x_dim)
    return {"codes": codes[0].cpu().numpy(), "x_hat": x_hat.reshape(model.config.image_shape).cpu().numpy()}


def usage_history(history: list[dict], steps_per_row: int = 1) -> dict[str, np.ndarray]:
    """The training batches' perplexity, unused codes and codes reset over the steps, from a trainer's history
    rows. A row holds means over its steps (the trainer's `log_every`, given as `steps_per_row`), so the codes
    reset in those steps are the mean times steps_per_row; NaN where resets are off (no such term)."""
    rows = [r for r in history if "perplexity" in r]
    return {"step": np.array([r["step"] for r in rows]), "perplexity": np.array([r["perplexity"] for r in rows]),
            "unused_codes": np.array([r["unused_codes"] for r in rows]),
            "codes_reset": np.array([r.get("codes_reset", np.nan) * steps_per_row for r in rows])}
