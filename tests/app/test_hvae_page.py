"""AppTest of the Hierarchical VAE page: alone, without pretrained models, with tiny ones of our own, with
the shipped ones, and a tiny live run on digits."""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st
import torch
from apptest import assert_clean, chart_titles, open_page, open_tab
from streamlit.testing.v1 import AppTest

from explorer import data, models
from explorer.store import zoo
from explorer.training import jobs
from explorer.training.train import TrainConfig, Trainer
from explorer.ui.views import hierarchical_vae as hvae_views

PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "hierarchical_vae.py")


def run_page(timeout: float = 180) -> AppTest:
    return open_page(PAGE, timeout)


def register_tiny(name: str, groups: tuple[int, ...], blocks: int, zoo_path: Path) -> None:
    """A few steps on digits, registered with its held-out history, as `pretrain` would."""
    train, test = data.load("digits", "train"), data.load("digits", "test")
    torch.manual_seed(0)
    model = models.build("hvae", None, x_dim=train.x_dim, image_shape=train.image_shape, groups=groups,
                         hidden=16, blocks=blocks)
    trainer = Trainer(model, train.x, TrainConfig(steps=20, log_every=10, eval_every=10), {"beta": 1.0}, x_test=test.x)
    history = [row for row in trainer.run().history if "test_elbo" in row]
    columns = {key: [row[key] for row in history] for key in history[0] if key == "step" or key.startswith("test_")}
    zoo.register(name, model.eval(), dataset="digits", data=train.source, steps=20, seed=0, wall_time_s=0.1,
                 metrics={"test_elbo": history[-1]["test_elbo"]}, history=columns, dir=zoo_path)


def test_without_pretrained_models_the_page_names_the_remedy(zoo_dir):
    at = run_page()
    assert any(f"--only {hvae_views.PRETRAINED}" in info.value for info in at.info)


def test_pretrained_views_with_tiny_models_of_our_own(zoo_dir):
    register_tiny(hvae_views.PRETRAINED, (4, 2, 2), 1, zoo_dir)
    at = run_page()
    assert "Held-out KL per group" in chart_titles(at)
    assert any(f"--only {hvae_views.BASELINE}" in info.value for info in at.info)  # no one-group model yet
    images = len(at.get("image"))
    assert images >= 2 + 1 + 4  # the two grids, the inputs and a row per k = 3, ..., 0
    register_tiny(hvae_views.BASELINE, (8,), 3, zoo_dir)
    st.cache_data.clear()
    at.run()
    assert_clean(at)
    assert "Held-out ELBO over training" in chart_titles(at) and len(at.metric) == 2
    at.select_slider(key="hvae_temperature").set_value(0.5).run()
    at.button(key="hvae_resample").click().run()
    at.number_input(key="hvae_start").set_value(8).run()
    assert_clean(at)


@pytest.mark.skipif(hvae_views.PRETRAINED not in zoo.names(), reason="no pretrained mnist-hvae: run pretrain")
def test_the_shipped_models(mnist_dir):
    st.cache_data.clear()
    at = run_page()
    assert "Held-out KL per group" in chart_titles(at) and "Held-out ELBO over training" in chart_titles(at)
    hierarchical, one_group = (float(m.value.split()[0]) for m in at.metric)
    assert hierarchical > one_group  # the hierarchy's held-out ELBO is the better one


def test_live_run_on_digits_records_the_kl_of_every_group():
    at = open_tab(run_page(), "hvae_tab", "Train your own")
    at.radio(key="hvae_dataset").set_value("digits").run()
    at.select_slider(key="hvae_live_steps").set_value(100).run()
    at.select_slider(key="hvae_live_free_bits").set_value(0.25).run()
    at.button(key="hvae_live_start").click().run()
    job = at.session_state["hvae_live_job"]
    try:
        assert jobs.wait_until(lambda: job.done, timeout=120), job.state
        assert job.state == "finished", job.message
        assert job.model.levels == 3 and {"kl_1", "kl_2", "kl_3", "test_elbo"} <= set(job.history[-1])
        at.run()
        assert_clean(at)
        assert "KL per group (batches)" in chart_titles(at)
    finally:
        job.stop()
