"""AppTest of the Tokens and priors page: tokens, samples from three priors, completion, a live prior."""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st
from apptest import chart_titles, open_page, open_tab
from streamlit.testing.v1 import AppTest

from explorer.store import zoo
from explorer.training import jobs
from explorer.ui.views import tokens_priors as token_views

PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "tokens_priors.py")
NEEDS_VQ = pytest.mark.skipif(token_views.VQ_MODEL not in zoo.names(), reason="no pretrained mnist-vqvae")


def run_page(timeout: float = 180) -> AppTest:
    return open_page(PAGE, timeout)


def captions(at: AppTest) -> str:
    return " ".join(caption for image in at.get("image") for caption in image.captions)


def test_without_a_vq_vae_the_page_names_the_remedy(tmp_path, monkeypatch):
    monkeypatch.setattr(zoo, "PRETRAINED_DIR", tmp_path)
    st.cache_resource.clear()
    st.cache_data.clear()
    at = run_page()
    assert any("python -m explorer pretrain --only mnist-vqvae" in i.value for i in at.info)


@NEEDS_VQ
def test_tokens_samples_and_completion(mnist_dir):
    at = run_page()
    assert "tokens out of K" in chart_titles(at)
    open_tab(at, "tokens_tab", "Sample")  # the tabs are lazy: one at a time
    text = captions(at)
    assert "codes drawn uniformly and independently" in text
    at.select_slider(key="tokens_temperature").set_value(0.5).run()
    assert not at.exception
    if token_views.PRIOR_MODEL in zoo.names():
        assert "codes from the pretrained prior" in text
        open_tab(at, "tokens_tab", "Complete an image")
        assert "token rows kept" in captions(at)
        at.slider(key="tokens_keep_rows").set_value(1).run()
        assert not at.exception and "1 of 7 token rows kept" in captions(at)


@NEEDS_VQ
@pytest.mark.slow  # trains for more than a second: not in the fast tier
def test_a_live_prior_trains_and_then_samples(mnist_dir, monkeypatch):
    monkeypatch.setattr(token_views, "STEPS", (3, 6))
    at = open_tab(run_page(), "tokens_tab", "Train a prior")
    at.button(key=f"{token_views.LIVE_KEY}_start").click().run()
    job = at.session_state[f"{token_views.LIVE_KEY}_job"]
    try:
        assert jobs.wait_until(lambda: job.done, timeout=120) and job.state == "finished", job.message
        open_tab(at, "tokens_tab", "Sample")
        assert "codes from your prior" in captions(at)
    finally:
        job.stop()
