"""AppTest of the Categorical VAE page: the pretrained views, τ acting on them, and a live run."""

from __future__ import annotations

from pathlib import Path

import pytest
from apptest import chart_texts, open_page, open_tab
from streamlit.testing.v1 import AppTest

from explorer.store import zoo
from explorer.training import jobs
from explorer.ui.views import categorical_vae as gumbel_views

PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "categorical_vae.py")


def run_page(timeout: float = 180) -> AppTest:
    return open_page(PAGE, timeout)


@pytest.mark.skipif(gumbel_views.PRETRAINED not in zoo.names(), reason="no pretrained mnist-gumbel: run pretrain")
def test_pretrained_codes_follow_tau(mnist_dir):
    at = run_page()
    texts = chart_texts(at)
    assert "q(z|x)" in texts and "relaxed, τ = 1" in texts and "hard (one-hot)" in texts
    at.select_slider(key="gumbel_pretrained_tau").set_value(0.1).run()
    assert not at.exception
    assert "relaxed, τ = 0.1" in chart_texts(at)


def test_live_run_on_digits_records_the_tau_curve(monkeypatch):
    at = open_tab(run_page(), "gumbel_tab", "Train your own")
    at.radio(key="gumbel_dataset").set_value("digits").run()
    at.select_slider(key="gumbel_live_steps").set_value(250).run()
    at.toggle(key="gumbel_live_anneal").set_value(True).run()
    at.button(key="gumbel_live_start").click().run()
    job = at.session_state["gumbel_live_job"]
    try:
        assert jobs.wait_until(lambda: job.done, timeout=120), job.state
        assert job.state == "finished", job.message
        taus = [row["tau"] for row in job.history]
        assert taus[0] > taus[-1] >= 0.5  # annealed from τ = 1 towards τ_min
        at.run()
        assert not at.exception and "τ over training" in chart_texts(at)
    finally:
        job.stop()
