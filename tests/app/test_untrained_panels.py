"""Every "Train your own" panel draws its untrained model before Train (issues 22 and 23, item 1): the session's job
waits at step 0 with its loss there, the page draws it, and Train starts that very job, not another."""

from __future__ import annotations

import math

import pytest
from apptest import assert_clean, chart_specs, open_page, open_tab
from streamlit.testing.v1 import AppTest

from explorer.data.mnist import SHARED_MNIST
from explorer.store import zoo
from explorer.training import jobs
from explorer.training.jobs import TrainingJob

# (page, its lazy tabs' key, the training tab, the panel's key)
PANELS = [
    ("latent_space.py", "latent_tab", "Train your own", "latent_train"),
    ("beta_sigma.py", "beta_tab", "Live β and σ", "beta_live_sprites"),
    ("vq_vae.py", "vq_tab", "Train your own", "vq_live"),
    ("categorical_vae.py", "gumbel_tab", "Train your own", "gumbel_live"),
    ("tokens_priors.py", "tokens_tab", "Train a prior", "tokens_live"),
    ("hierarchical_vae.py", "hvae_tab", "Train your own", "hvae_live"),
]
pytestmark = pytest.mark.skipif(not SHARED_MNIST.exists() or not zoo.names(),
                                reason="needs ../shared/data/mnist and the pretrained models")


def open_panel(page: str, tab_key: str, tab: str) -> AppTest:
    at = open_page(page, timeout=180)
    return open_tab(at, tab_key, tab)


@pytest.mark.parametrize(("page", "tab_key", "tab", "key"), PANELS, ids=[p[0] for p in PANELS])
def test_the_untrained_model_is_drawn_and_train_starts_it(page, tab_key, tab, key):
    at = open_panel(page, tab_key, tab)
    job = at.session_state[f"{key}_job"]
    assert isinstance(job, TrainingJob) and job.state == "ready" and job.step == 0
    (start_row,) = job.history  # its loss at step 0, before any training
    assert start_row["step"] == 0 and math.isfinite(start_row["loss"]), start_row
    assert chart_specs(at), "nothing drawn before Train"
    assert any(":material/info: Untrained, at step 0" in m.value for m in at.markdown)

    at.button(key=f"{key}_start").click().run()
    assert_clean(at)
    try:
        assert at.session_state[f"{key}_job"] is job and job.state in ("running", "finished")
        assert jobs.wait_until(lambda: job.step >= 1, timeout=60)
    finally:
        job.stop()


def test_a_changed_setting_rebuilds_the_untrained_model_and_a_knob_does_not():
    at = open_panel("latent_space.py", "latent_tab", "Train your own")
    first = at.session_state["latent_train_job"]
    at.select_slider(key="latent_train_beta").set_value(4.0).run()
    assert at.session_state["latent_train_job"] is first  # β acts on the next step of this model
    assert first.trainer.knobs["beta"] == 4.0
    at.select_slider(key="latent_train_lr").set_value(1e-3).run()
    second = at.session_state["latent_train_job"]
    assert second is not first and second.state == "ready" and second.config.lr == 1e-3


def test_step_ten_then_play_on_the_same_model():
    at = open_panel("latent_space.py", "latent_tab", "Train your own")
    job = at.session_state["latent_train_job"]
    at.button(key="latent_train_step10").click().run()
    assert_clean(at)
    assert job.state == "paused" and job.step == 10 and at.session_state["latent_train_job"] is job
    assert any("step 10 / 2000" in p.proto.text for p in at.get("progress"))
    at.button(key="latent_train_resume").click().run()
    try:
        assert job.state == "running" and jobs.wait_until(lambda: job.step > 10, timeout=60)
    finally:
        job.stop()


def test_an_ended_runs_knobs_stay_as_trained_until_continue():
    """Issue 23, item 7: after a run ends, moving β changes nothing on it, and the page says so; Continue trains it on
    with the β now set, its step count going on."""
    at = open_panel("latent_space.py", "latent_tab", "Train your own")
    at.select_slider(key="latent_train_steps").set_value(250).run()
    at.button(key="latent_train_start").click().run()
    job = at.session_state["latent_train_job"]
    try:
        assert jobs.wait_until(lambda: job.done, timeout=120) and job.state == "finished"
        at.select_slider(key="latent_train_beta").set_value(8.0).run()
        assert_clean(at)
        assert job.trainer.knobs["beta"] == 1.0
        assert any("The run has ended, so β as set now change nothing" in c.value for c in at.caption)
        at.button(key="latent_train_continue").click().run()
        assert job.trainer.knobs["beta"] == 8.0 and jobs.wait_until(lambda: job.step > 250, timeout=60)
    finally:
        job.stop()
