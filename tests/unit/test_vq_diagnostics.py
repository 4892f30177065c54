"""What the VQ-VAE page computes (explorer/analysis/vq.py) and draws (explorer/figures/vq.py): PCA against sklearn,
codebook usage, the token grid, reconstructions and their squared errors, the held-out codebook metrics of
pretrain."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from sklearn.decomposition import PCA

from explorer import models
from explorer.analysis import vq
from explorer.figures import vq as figures
from explorer.models.quantizer import code_counts
from explorer.training import pretrain

TINY = dict(x_dim=64, image_shape=(8, 8), hidden=(6,), code_dim=3)  # a 4×4 grid of codes


def tiny_vq(**overrides) -> torch.nn.Module:
    torch.manual_seed(0)
    return models.build("vqvae", None, **{**TINY, "codebook_size": 16, **overrides}).eval()


def tiny_vae() -> torch.nn.Module:
    torch.manual_seed(0)
    return models.build("convvae", None, **TINY).eval()


def images(n: int = 10) -> torch.Tensor:
    return torch.rand(n, 64, generator=torch.Generator().manual_seed(1))


def same_up_to_sign(a: np.ndarray, b: np.ndarray) -> None:
    """Columns of a equal those of b, each possibly negated."""
    signs = np.sign((a * b).sum(axis=0))
    np.testing.assert_allclose(a * signs, b, rtol=1e-5, atol=1e-5)


def test_pca_matches_sklearn_up_to_sign():
    rng = np.random.default_rng(0)
    points = rng.normal(size=(300, 5)) @ rng.normal(size=(5, 5)) + 3.0  # correlated, off-centre
    mean, components, explained = vq.pca_fit(points)
    reference = PCA(n_components=2).fit(points)
    assert components.shape == (2, 5) and explained.shape == (2,)
    np.testing.assert_allclose(mean, reference.mean_)
    np.testing.assert_allclose(explained, reference.explained_variance_ratio_, rtol=1e-6)
    same_up_to_sign((points - mean) @ components.T, reference.transform(points))
    assert all(c[np.abs(c).argmax()] > 0 for c in components)  # the sign convention


def test_codebook_plane_projects_codebook_and_z_e_on_the_pca_of_their_union():
    model = tiny_vq()
    x = images(40)  # 40 · 16 = 640 encoder outputs
    plane = vq.codebook_plane(model, x, n=100)
    assert plane["codes_2d"].shape == (16, 2) and plane["z_e_2d"].shape == (100, 2) and plane["explained"].shape == (2,)
    z_e = vq.encoder_outputs(model, x, n=100)
    all_z_e = model.encode_continuous(x).reshape(-1, 3).detach().numpy()  # (40, 4, 4, 3) -> (640, 3)
    assert z_e.shape == (100, 3) and all(np.any(np.all(all_z_e == row, axis=1)) for row in z_e)
    union = np.concatenate([model.codebook.detach().numpy(), z_e])
    reference = PCA(n_components=2).fit_transform(union)
    same_up_to_sign(np.concatenate([plane["codes_2d"], plane["z_e_2d"]]), reference)


def test_codebook_usage_counts_every_position_and_matches_the_entropy():
    model = tiny_vq()
    x = images(25)
    usage = vq.codebook_usage(model, x)
    codes = model.codes(x)
    np.testing.assert_array_equal(usage["counts"], code_counts(codes, 16).numpy())
    assert usage["counts"].sum() == 25 * 16 and usage["dead_codes"] == int((usage["counts"] == 0).sum())
    assert usage["images"] == 25  # the label says how many inputs the numbers are about
    p = usage["counts"][usage["counts"] > 0] / usage["counts"].sum()
    assert usage["perplexity"] == pytest.approx(math.exp(-(p * np.log(p)).sum()), rel=1e-5)


def test_token_grid_is_the_codes_and_their_decoding():
    model = tiny_vq()
    x = images(3)[1]
    grid = vq.token_grid(model, x)
    assert grid["codes"].shape == (4, 4) and grid["x_hat"].shape == (8, 8)
    codes = model.codes(x[None])
    np.testing.assert_array_equal(grid["codes"], codes[0].numpy())
    np.testing.assert_allclose(grid["x_hat"], model.decode_mean(codes).reshape(8, 8).numpy())


def test_compare_reconstructs_codes_for_the_vqvae_and_posterior_means_for_the_vae():
    vq_model, vae = tiny_vq(), tiny_vae()
    x = images(5)
    results = vq.compare({"vae": vae, "vq": vq_model}, x)
    expected = {"vae": vae.decode_mean(vae.encode(x).mean), "vq": vq_model.decode_mean(vq_model.codes(x))}
    for name, result in results.items():
        assert result["x_hat"].shape == (5, 64) and result["squared_error"].shape == (5,)
        np.testing.assert_allclose(result["x_hat"], expected[name].numpy(), rtol=1e-6)
        np.testing.assert_allclose(result["squared_error"], ((expected[name] - x) ** 2).sum(dim=1).numpy(), rtol=1e-5)


def test_usage_history_and_architecture():
    rows = [{"step": 10, "loss": 1.0, "perplexity": 3.5, "unused_codes": 12.0}, {"step": 20, "test_recon": 5.0},
            {"step": 30, "perplexity": 7.0, "unused_codes": 4.0}]
    history = vq.usage_history(rows)
    assert history["step"].tolist() == [10, 30] and history["perplexity"].tolist() == [3.5, 7.0]
    assert history["unused_codes"].tolist() == [12.0, 4.0]
    for shape, grid in (((28, 28), (7, 7)), ((8, 8), (4, 4))):
        model = models.build("vqvae", None, x_dim=shape[0] * shape[1], image_shape=shape, **vq.architecture(shape))
        assert model.latent_shape == grid


def test_heldout_metrics_of_a_vqvae_record_codebook_health():
    model = tiny_vq()
    x = images(30)
    metrics = pretrain.heldout_metrics(model, x, repeats=1)
    usage = vq.codebook_usage(model, x)
    assert metrics["test_perplexity"] == pytest.approx(usage["perplexity"], abs=1e-4)
    assert metrics["test_dead_codes"] == usage["dead_codes"]
    squared_error = ((vq.reconstruct(model, x) - x) ** 2).sum(dim=1).mean().item()
    assert metrics["test_squared_error"] == pytest.approx(squared_error, abs=1e-3)
    assert "test_dead_codes" not in pretrain.heldout_metrics(tiny_vae(), x, repeats=1)


# --- figures ----------------------------------------------------------------------------------------------

def test_usage_histogram_marks_the_dead_codes():
    fig = figures.usage_histogram(np.array([5, 0, 2, 0, 1]), "usage")
    bars, dead = fig.data
    assert list(bars.y) == [5, 0, 2, 0, 1] and list(dead.x) == [1, 3] and list(dead.y) == [0, 0]
    assert dead.name == "dead codes: 2" and fig.layout.title.text == "usage"


def test_token_grid_writes_each_code_in_its_cell():
    codes = np.array([[3, 0], [15, 7]])
    heatmap = figures.token_grid(codes, 16).data[0]
    np.testing.assert_array_equal(heatmap.z, codes)
    np.testing.assert_array_equal(heatmap.text, codes)
    assert heatmap.texttemplate == "%{text}" and (heatmap.zmin, heatmap.zmax) == (0, 15)


def test_codebook_scatter_splits_used_and_dead_codes():
    rng = np.random.default_rng(0)
    fig = figures.codebook_scatter(rng.normal(size=(4, 2)), rng.normal(size=(50, 2)), np.array([3, 0, 1, 0]),
                                   np.array([0.6, 0.25]))
    z_e, used, dead = fig.data
    assert len(z_e.x) == 50 and list(used.customdata) == [0, 2] and list(dead.customdata) == [1, 3]
    assert fig.layout.xaxis.title.text == "PC 1 (60% of variance)"


def test_usage_curves_and_squared_error_bars():
    fig = figures.usage_curves(np.array([10, 20]), np.array([4.0, 9.0]), np.array([50, 20]), 64)
    assert [t.name for t in fig.data] == ["perplexity", "dead codes"]
    assert fig.layout.shapes[0].y0 == 64
    bars = figures.squared_error_bars(["a", "b"], {"VAE": np.array([12.0, 20.0]), "VQ-VAE": np.array([4.0, 6.0])},
                                      "squared error (sum over pixels)")
    assert [t.name for t in bars.data] == ["VAE", "VQ-VAE"] and bars.layout.barmode == "group"
    assert bars.layout.yaxis.title.text == "squared error (sum over pixels)"
