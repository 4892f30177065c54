"""AppTest of the β page: alone, with and without pretrained β-models, a tiny sweep, a live run's knobs."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
import torch
from apptest import assert_clean, open_page, open_tab
from apptest import chart_specs as parsed_specs
from streamlit.testing.v1 import AppTest

from explorer import data, models
from explorer.maths import metrics
from explorer.runtime.threads import torch_threads
from explorer.store import zoo
from explorer.training import jobs
from explorer.training.train import TrainConfig, Trainer
from explorer.ui.views import beta_sigma as beta_views

PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "beta_sigma.py")


def run_page(timeout: float = 180) -> AppTest:
    return open_page(PAGE, timeout)


def chart_specs(at: AppTest) -> str:
    """The titles of every plotly chart on the page, and their traces' names, as one string."""
    specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    return " ".join([s["layout"].get("title", {}).get("text", "") for s in specs]
                    + [t.get("name", "") for s in specs for t in s["data"]])


def register_tiny_beta_vae(name: str, beta: float, zoo_path: Path) -> None:
    train = data.load("sprites", "train")
    torch.manual_seed(0)
    model = models.build("vae", None, x_dim=train.x_dim, z_dim=4, hidden=(32,), image_shape=train.image_shape)
    with torch_threads(1):
        Trainer(model, train.x, TrainConfig(steps=20), {"beta": beta}).run()
    zoo.register(name, model.eval(), dataset="sprites", data=train.source, steps=20, seed=0, wall_time_s=0.1,
                 metrics={}, dir=zoo_path)


def stop_all(*running) -> None:
    for job in running:
        if job is not None:
            job.stop()
    assert jobs.wait_until(lambda: jobs.running_count() == 0, timeout=10)


def test_page_runs_alone_without_pretrained_models(zoo_dir, mnist_dir):
    at = run_page()
    assert [t.label for t in at.tabs] == ["Live β and σ", "Rate–distortion sweep", "Posterior collapse",
                                          "Traversals and MIG", "Blurry or sharp"]
    notices = " ".join(i.value for i in at.info)
    assert "sprites-vae-b0.5" in notices and "python -m explorer pretrain" in notices
    at.radio(key="beta_dataset").set_value("mnist").run()
    assert_clean(at)
    assert "mnist-vae-b4" in " ".join(i.value for i in at.info)


def test_page_uses_the_pretrained_beta_models_when_shipped(zoo_dir, mnist_dir):
    for name, beta in (("sprites-vae-b0.5", 0.5), ("sprites-vae-b4", 4.0)):
        register_tiny_beta_vae(name, beta, zoo_dir)
    at = run_page()
    notices = " ".join(i.value for i in at.info)
    assert "sprites-vae-b1" in notices and "sprites-vae-b4" not in notices
    open_tab(at, "beta_tab", "Rate–distortion sweep")
    assert "R–D points, one per β" in chart_specs(at)
    open_tab(at, "beta_tab", "Traversals and MIG")  # the tabs are lazy: one at a time
    assert at.radio(key="beta_traversal_model").options == ["pretrained β = 0.5", "pretrained β = 4"]
    specs = chart_specs(at)
    for title in ("Unit z_u from −3 to +3", "Gap per factor"):
        assert title in specs
    at.radio(key="beta_traversal_model").set_value("pretrained β = 4").run()
    at.number_input(key="beta_traversal_index").set_value(7).run()
    assert_clean(at)
    assert any("MIG" in m.label for m in at.metric)


def test_sweep_button_trains_a_tiny_sweep(zoo_dir, mnist_dir, monkeypatch):
    monkeypatch.setattr(beta_views, "SWEEP_STEPS", (20, 40))
    at = open_tab(run_page(), "beta_tab", "Rate–distortion sweep")
    at.multiselect(key="beta_sweep_sprites_betas").set_value([0.5, 4.0]).run()
    at.select_slider(key="beta_sweep_sprites_steps").set_value(20).run()
    at.button(key="beta_sweep_sprites_start").click().run()
    assert_clean(at)
    job = at.session_state["beta_sweep_sprites_job"]
    assert job.config.betas == (0.5, 4.0) and job.config.steps == 20
    assert jobs.wait_until(lambda: job.done, timeout=60)
    assert job.state == "finished", job.message
    at.run()
    assert_clean(at)
    assert "R–D points, one per β" in chart_specs(at)
    open_tab(at, "beta_tab", "Posterior collapse")
    assert at.radio(key="beta_collapse_model").options == ["sweep β = 0.5", "sweep β = 4"]
    open_tab(at, "beta_tab", "Blurry or sharp")
    assert len(at.get("image")) >= 2 * 2 + 1  # inputs, then reconstructions and samples per model


@pytest.mark.slow  # trains for more than a second: not in the fast tier
def assert_distortion_is_split(at: AppTest, sigma: float) -> None:
    """Issue 20, item 8: a Gaussian decoder's D (−950 nats puzzled students) is shown as the scaled squared
    error plus (d/2)·log(2πσ²), in nats per image, and the two parts add up to the D on screen."""
    line = next(m.value for m in at.markdown if "distortion D **" in m.value)
    shown = float(re.search(r"distortion D \*\*(-?[\d.]+)\*\* nats per image", line)[1])
    caption = next(c.value for c in at.caption if c.value.startswith("Gaussian decoder: D = "))
    parts = re.search(r"= (-?[\d.]+) \+ \((-?[\d.]+)\) nats per image", caption)
    error, normaliser = float(parts[1]), float(parts[2])
    assert normaliser == pytest.approx(metrics.gaussian_log_normaliser(28 * 28, sigma), abs=0.05)
    assert error >= 0 and error + normaliser == pytest.approx(shown, abs=0.11)
    spec = next(s for s in parsed_specs(at) if s["layout"]["title"]["text"].startswith("R–D plane"))
    assert spec["layout"]["yaxis"]["title"]["text"] == beta_views.GAUSSIAN_DISTORTION_TITLE


def test_live_run_takes_new_beta_sigma_and_free_bits(zoo_dir, mnist_dir):
    at = run_page()
    at.radio(key="beta_live_sprites_lik").set_value("gaussian").run()
    at.select_slider(key="beta_live_sprites_steps").set_value(500).run()
    at.button(key="beta_live_sprites_start").click().run()
    assert_clean(at)
    job = at.session_state["beta_live_sprites_job"]
    try:
        assert_distortion_is_split(at, sigma=0.1)
        deadline = time.time() + 60
        while job.step < 20 and time.time() < deadline:
            time.sleep(0.1)
        at.select_slider(key="beta_live_sprites_beta").set_value(3.0).run()
        at.slider(key="beta_live_sprites_sigma").set_value(0.5).run()
        at.select_slider(key="beta_live_sprites_free_bits").set_value(0.5).run()
        assert_clean(at)
        assert job.trainer.knobs == {"beta": 3.0, "decoder_sigma": 0.5, "free_bits": 0.5}
        assert "R–D plane, step" in chart_specs(at) and "KL per latent unit" in chart_specs(at)
        assert "1.5 · KL" in " ".join(m.value for m in at.markdown)  # 2σ²β = 2 · 0.5² · 3
        assert_distortion_is_split(at, sigma=0.5)
    finally:
        stop_all(job)
    assert job.done


@pytest.mark.slow  # trains for more than a second: not in the fast tier
def test_collapse_demo_shows_three_runs_of_each_case(zoo_dir, mnist_dir):
    at = open_tab(run_page(), "beta_tab", "Posterior collapse")
    at.toggle(key="beta_collapse_demo").set_value(True).run()
    assert_clean(at)
    specs = chart_specs(at)
    assert all(label in specs for label in ("no remedy", "KL warm-up", "free bits λ = 0.5 nat"))
    assert any("0 direction(s) kept" in m.value for m in at.markdown)
    trap = [m.value for m in at.markdown if m.value.startswith("active **")]
    assert trap[0].startswith("active **0/4**") and trap[1].startswith("active **4/4**")  # warm-up escapes
    at.segmented_control(key="beta_collapse_case").set_value("optimum").run()
    assert_clean(at)
    moons = [m.value for m in at.markdown if m.value.startswith("active **")]
    assert moons[0].startswith("active **0/4**") and moons[1].startswith("active **0/4**")  # it cannot here
