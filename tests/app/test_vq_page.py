"""AppTest of the VQ-VAE page alone: without and with pretrained models, a tiny live run on digits with the
commitment β acting on it, and blurry vs sharp reconstructions with their squared errors (sums over pixels)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from apptest import assert_clean, chart_specs, chart_titles, open_page, open_tab
from streamlit.testing.v1 import AppTest

from explorer import data, models
from explorer.runtime.threads import torch_threads
from explorer.store import zoo
from explorer.training import jobs
from explorer.training.train import TrainConfig, Trainer
from explorer.ui import canvas
from explorer.ui.views import vq_vae as vq_views

PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "vq_vae.py")
TINY_CONV = dict(hidden=(8, 16), code_dim=4)


def run_page(timeout: float = 180) -> AppTest:
    return open_page(PAGE, timeout)


def image_captions(at: AppTest) -> list[str]:
    return [caption for image in at.get("image") for caption in image.captions]


def register_tiny(name: str, kind: str, zoo_path: Path, dataset: str = "mnist", **overrides) -> None:
    train = data.load(dataset, "train")
    torch.manual_seed(0)
    model = models.build(kind, None, **TINY_CONV, **overrides)
    with torch_threads(1):
        Trainer(model, train.x, TrainConfig(steps=5, batch_size=32), {"beta": 1.0}).run()
    zoo.register(name, model.eval(), dataset=dataset, data=train.source, steps=5, seed=0, wall_time_s=0.1,
                 metrics={}, history={"step": [5], "test_perplexity": [3.0], "test_unused_codes": [10.0]}, dir=zoo_path)


def test_page_runs_alone_without_pretrained_models(zoo_dir):
    at = run_page()
    labels = [t.label for t in at.tabs]
    assert labels == ["Pretrained codebook", "Train your own", "Blurry vs sharp"]
    notices = ""
    for label in labels:  # the tabs are lazy: one at a time
        open_tab(at, "vq_tab", label)
        notices += " ".join(i.value for i in at.info)
        # the page's loss and straight-through equations, and the open tab's lecture note
        assert len(at.latex) == 2 + 1 and sum("Try:" in m.value for m in at.markdown) == 1
    assert "python -m explorer pretrain --only mnist-vqvae sprites-vqvae" in notices
    assert "python -m explorer pretrain --only mnist-convvae mnist-vqvae" in notices


def test_page_shows_pretrained_codebook_and_blurry_vs_sharp(zoo_dir, mnist_dir):
    register_tiny("mnist-vqvae", "vqvae", zoo_dir, codebook_size=16, kmeans_init=True)
    register_tiny("mnist-convvae", "convvae", zoo_dir)
    at = run_page()
    titles = chart_titles(at)
    for title in ("Uses per code", "Codes and z_e (PCA)",
                  "Tokens: 7×7, K = 16", "While it was pretrained (on all 1,000 held-out images)"):
        assert title in titles, title
    # issue 20, item 9: the perplexity is of 500 images, and says so
    assert any(m.value.startswith("On 500 held-out images: perplexity") for m in at.markdown)
    at.number_input(key="vq_pretrained_index_mnist-vqvae").set_value(4).run()
    open_tab(at, "vq_tab", "Blurry vs sharp")
    assert "Squared error per image" in chart_titles(at)
    assert "the latent is the only difference" in " ".join(m.value for m in at.markdown)
    strips = [c for c in image_captions(at) if "squared error per image (sum over pixels)" in c]
    assert len(strips) == 2 and strips[0].startswith(vq_views.LABELS["mnist-convvae"])
    assert strips[1].startswith(vq_views.LABELS["mnist-vqvae"])
    assert all(len(c.split(":")[1].split(",")) == vq_views.N_COMPARE for c in strips)  # one number per input
    at.select_slider(key="vq_zoom").set_value(3).run()
    at.number_input(key="vq_compare_start").set_value(20).run()
    assert_clean(at)
    zoomed = [c for c in image_captions(at) if ": squared error " in c and "sum over pixels" in c]
    assert len(zoomed) == 2
    open_tab(at, "vq_tab", "Pretrained codebook")  # the widgets of a closed tab kept their values
    assert at.radio(key="vq_pretrained_model").options == ["MNIST, K = 16"]
    assert at.number_input(key="vq_pretrained_index_mnist-vqvae").value == 4
    open_tab(at, "vq_tab", "Blurry vs sharp")
    assert at.select_slider(key="vq_zoom").value == 3 and at.number_input(key="vq_compare_start").value == 20


def test_the_sprites_codebook_is_offered_when_shipped(zoo_dir, mnist_dir):
    register_tiny("mnist-vqvae", "vqvae", zoo_dir, codebook_size=16)
    register_tiny("sprites-vqvae", "vqvae", zoo_dir, dataset="sprites", codebook_size=8)
    at = run_page()
    at.radio(key="vq_pretrained_model").set_value("sprites-vqvae").run()
    assert_clean(at)
    assert "Tokens: 7×7, K = 8" in chart_titles(at)


def test_a_drawn_digit_is_reconstructed_by_both(zoo_dir, mnist_dir, monkeypatch):
    register_tiny("mnist-vqvae", "vqvae", zoo_dir, codebook_size=16)
    register_tiny("mnist-convvae", "convvae", zoo_dir)
    at = open_tab(run_page(), "vq_tab", "Blurry vs sharp")
    at.radio(key="vq_compare_source").set_value("drawn").run()
    assert_clean(at)
    assert "Draw a digit on the black square." in [i.value for i in at.info]  # an empty canvas: a hint
    drawn = data.load("mnist", "test").x[3].reshape(28, 28).numpy()
    monkeypatch.setattr(canvas, "draw_digit", lambda key: drawn)
    at.run()
    assert_clean(at)
    strips = [c for c in image_captions(at) if "squared error per image (sum over pixels)" in c]
    assert len(strips) == 2 and all(len(c.split(":")[1].split(",")) == 1 for c in strips)
    assert len([c for c in image_captions(at) if ": squared error " in c]) == 2  # the zoomed pair of the one input


@pytest.fixture
def no_mnist(monkeypatch, tmp_path):
    """No MNIST anywhere (as tests/app/test_offline.py): no folder, an empty cache, a mirror that never answers."""
    monkeypatch.delenv("LATENT_LAB_MNIST_DIR", raising=False)
    monkeypatch.setenv("LATENT_LAB_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("LATENT_LAB_NO_SHARED_FALLBACK", "1")
    monkeypatch.setenv("LATENT_LAB_MNIST_MIRROR", "http://127.0.0.1:9/")  # the discard port: nothing answers
    data.load.cache_clear()
    yield
    data.load.cache_clear()


def test_without_mnist_the_page_names_the_remedy_and_trains_on_the_rest(zoo_dir, no_mnist):
    for name, kind in (("mnist-vqvae", "vqvae"), ("mnist-convvae", "convvae")):  # shipped, but their data is not
        torch.manual_seed(0)
        zoo.register(name, models.build(kind, None, **TINY_CONV).eval(), dataset="mnist", data="MNIST", steps=0,
                     seed=0, wall_time_s=0.0, metrics={}, dir=zoo_dir)
    at = run_page()
    warnings = ""
    for label in ("Blurry vs sharp", "Train your own"):  # the tabs are lazy: one at a time
        warnings += " ".join(w.value for w in at.warning)
        open_tab(at, "vq_tab", label)
    assert "The pretrained model's data is not available" in warnings and "MNIST is not available" in warnings
    assert at.radio(key="vq_dataset").options == ["scikit-learn digits 8×8", "Sprites 28×28"]


def test_live_run_on_digits_tracks_the_codebook(zoo_dir):
    at = open_tab(run_page(), "vq_tab", "Train your own")
    at.radio(key="vq_dataset").set_value("digits").run()
    at.select_slider(key="vq_live_steps").set_value(100).run()
    at.select_slider(key="vq_live_k").set_value(16).run()
    at.toggle(key="vq_live_kmeans").set_value(True).run()
    at.toggle(key="vq_live_reset").set_value(True).run()
    at.button(key="vq_live_start").click().run()
    assert_clean(at)
    job = at.session_state["vq_live_job"]
    try:
        config = job.model.config
        assert (config.codebook_size, config.kmeans_init, config.dead_code_reset_steps) == (16, True, 10)
        assert config.image_shape == (8, 8) and job.model.latent_shape == (4, 4)
        at.select_slider(key="vq_live_beta").set_value(1.0).run()
        assert job.trainer.knobs["commitment_beta"] == 1.0  # the slider reaches the running model
        assert jobs.wait_until(lambda: job.done, timeout=120), job.state
        assert job.state == "finished", job.message
        assert {"perplexity", "unused_codes", "codes_reset"} <= job.history[-1].keys()
        at.run()
        assert_clean(at)
        titles = chart_titles(at)
        # digits has 297 held-out images: the histogram said 500 (issue 20, item 9)
        for title in ("Perplexity, unused and reset codes while training", "Uses per code",
                      "Tokens: 4×4, K = 16"):
            assert title in titles, title
        curves = next(spec for spec in chart_specs(at) if spec["layout"]["title"]["text"].startswith("Perplexity"))
        assert [trace["name"] for trace in curves["data"]] == ["perplexity", "unused in the batch",
                                                                "codes reset per 10 steps"]
    finally:
        job.stop()
