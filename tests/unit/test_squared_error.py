"""Issue 20, item 3: "MSE" meant a sum over pixels on Draw and compare and in the manifest, and a per-pixel mean,
784× smaller, on the VQ-VAE page. Now one definition, `metrics.squared_error_per_image` = Σ_pixels (x − x̂)², one
name (`squared_error`, the manifest's `test_squared_error`) and one label, everywhere."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from explorer import data, models
from explorer.analysis import compare, vq
from explorer.maths import metrics
from explorer.store import zoo
from explorer.store.checkpoints import CheckpointError
from explorer.training import pretrain

TINY = dict(x_dim=64, image_shape=(8, 8), hidden=(6,), code_dim=3)


def tiny(kind: str, **overrides) -> torch.nn.Module:
    torch.manual_seed(0)
    return models.build(kind, None, **{**TINY, **overrides}).eval()


def images(n: int = 6) -> torch.Tensor:
    return torch.rand(n, 64, generator=torch.Generator().manual_seed(1))


def test_squared_error_per_image_is_the_sum_over_pixels_by_hand():
    x = np.array([[0.0, 1.0, 0.5, 0.5], [1.0, 1.0, 1.0, 1.0]])
    x_hat = np.array([[0.0, 0.0, 0.5, 1.0], [1.0, 1.0, 1.0, 0.0]])
    np.testing.assert_allclose(metrics.squared_error_per_image(x, x_hat), [1.0 + 0.25, 1.0])
    as_tensors = metrics.squared_error_per_image(torch.tensor(x), torch.tensor(x_hat))
    assert isinstance(as_tensors, torch.Tensor) and as_tensors.tolist() == [1.25, 1.0]
    assert "sum over pixels" in metrics.SQUARED_ERROR_LABEL and "per image" in metrics.SQUARED_ERROR_LABEL


def test_the_vq_page_and_draw_and_compare_report_the_same_number():
    """The VQ page's comparison once reported Σ/784 under the name "mse"; Draw and compare reported Σ."""
    model, x = tiny("vqvae", codebook_size=16), images()
    expected = ((vq.reconstruct(model, x) - x) ** 2).sum(dim=1).numpy()
    per_model = vq.compare({"vq": model}, x)["vq"]
    np.testing.assert_allclose(per_model["squared_error"], expected, rtol=1e-5)
    one = compare.compare({"vq": model}, x[0].reshape(8, 8).numpy())[0]
    assert one.squared_error == pytest.approx(float(expected[0]), rel=1e-5)


def test_pretrain_records_test_squared_error_not_test_mse():
    model, x = tiny("convvae"), images(20)
    recorded = pretrain.heldout_metrics(model, x, repeats=1)
    assert "test_mse" not in recorded
    expected = metrics.squared_error_per_image(vq.reconstruct(model, x), x).mean().item()
    assert recorded["test_squared_error"] == pytest.approx(expected, abs=1e-4)


def shipped_models_of_x() -> list[str]:
    try:
        return [name for name in zoo.names() if zoo.entry(name)["kind"] != "prior"]
    except CheckpointError:
        return []


def test_the_manifest_holds_test_squared_error_for_every_model_of_x():
    if not shipped_models_of_x():
        pytest.skip("no pretrained models: run `python -m explorer pretrain`")
    for name in shipped_models_of_x():
        stored = zoo.entry(name)["metrics"]
        assert "test_mse" not in stored and "test_squared_error" in stored, name


@pytest.mark.slow
@pytest.mark.parametrize("name", shipped_models_of_x() or ["none"])
def test_the_stored_squared_error_is_todays_sum_over_pixels(name, mnist_dir):
    """The stored number is what `heldout_metrics` computes today from the shipped weights (a sum, not a mean)."""
    if name == "none":
        pytest.skip("no pretrained models: run `python -m explorer pretrain`")
    entry = zoo.entry(name)
    test = data.load(entry["dataset"], "test")
    x_hat = vq.reconstruct(zoo.load(name), test.x)
    recomputed = metrics.squared_error_per_image(x_hat, test.x).mean().item()
    assert entry["metrics"]["test_squared_error"] == pytest.approx(recomputed, abs=2e-4)
