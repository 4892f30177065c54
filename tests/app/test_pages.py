"""AppTest for every page: each runs without an exception, alone and through the navigation."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
from apptest import assert_clean, chart_texts, open_page, open_tab
from streamlit.testing.v1 import AppTest

from explorer.store import zoo
from explorer.ui import outline

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "pages").glob("*.py"))
NEEDS_ZOO = pytest.mark.skipif(not zoo.names(), reason="no pretrained models: run `python -m explorer pretrain`")


def run_page(path: str, timeout: float = 120) -> AppTest:
    return open_page(path, timeout, clean=False)


@NEEDS_ZOO
@pytest.mark.parametrize("page", PAGES)
def test_page_runs_alone(page, mnist_dir):
    assert_clean(run_page(page))


@NEEDS_ZOO
def test_navigation_reaches_every_page(mnist_dir):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    assert_clean(at)
    assert at.sidebar.selectbox(key="device_choice").value == "auto"
    for page in PAGES:
        at.switch_page(page)
        at.run()
        assert_clean(at)


@NEEDS_ZOO
def test_latent_space_shows_both_models_and_decodes(mnist_dir):
    at = run_page("pages/latent_space.py")
    assert_clean(at)
    assert tuple(t.label for t in at.tabs) == outline.page("latent_space").labels  # a link opens one by its label
    maps = {re.search(r"click_mnist-(\w+)-2d$", c.proto.id).group(1): json.loads(c.proto.json)
            for c in at.get("bidi_component") if "click_" in c.proto.id}
    assert set(maps) == {"ae", "vae"}  # the AE's and the VAE's canvas maps, side by side
    for data in maps.values():
        assert len(data["points"]) >= 500 and len(data["marks"]) == 16  # held-out codes, prior samples ×
        assert [text for text, _ in data["legend"]] == [str(d) for d in range(10)]
        assert data["sprite"].startswith("data:image/png;base64,") and data["n"] == 20
    assert maps["ae"]["extent"] != maps["vae"]["extent"]  # each map spans its own codes
    assert len(at.get("image")) == 2  # the decoded prior samples under each map; the other tabs are not drawn
    open_tab(at, "latent_tab", "Interpolation")
    assert not at.get("bidi_component") and len(at.get("image")) == 2  # a strip per model, and no maps


@NEEDS_ZOO
def test_switching_to_digits_and_interpolating(mnist_dir):
    at = run_page("pages/latent_space.py")
    at.radio(key="latent_dataset").set_value("digits").run()
    open_tab(at, "latent_tab", "Interpolation")
    at.radio(key="interp_mode").set_value("spherical").run()
    at.number_input(key="interp_b").set_value(5).run()
    assert_clean(at)
    assert any("spherical path" in text for text in chart_texts(at))


@NEEDS_ZOO
@pytest.mark.slow
def test_training_panel_starts_pauses_and_takes_new_beta(mnist_dir):
    at = run_page("pages/latent_space.py")
    at.radio(key="latent_dataset").set_value("digits").run()
    open_tab(at, "latent_tab", "Train your own")
    at.select_slider(key="latent_train_steps").set_value(500).run()
    at.button(key="latent_train_start").click().run()
    assert_clean(at)
    job = at.session_state["latent_train_job"]
    deadline = time.time() + 60
    while job.step < 50 and time.time() < deadline:
        time.sleep(0.1)
    at.select_slider(key="latent_train_beta").set_value(3.0).run()
    assert job.trainer.knobs["beta"] == 3.0
    open_tab(at, "latent_tab", "AE vs VAE")  # the panel is not drawn while another tab is open ...
    open_tab(at, "latent_tab", "Train your own")  # ... and its sliders, and so the running job, keep β
    assert at.select_slider(key="latent_train_beta").value == 3.0 and job.trainer.knobs["beta"] == 3.0
    at.button(key="latent_train_pause").click().run()
    assert job.state == "paused"
    at.button(key="latent_train_stop").click().run()
    assert job.done
    at.run()
    assert_clean(at)
    assert any(text.startswith("Latent map at step") for text in chart_texts(at))
