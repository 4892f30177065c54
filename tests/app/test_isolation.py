"""One session never changes what another sees: its training runs, its β, σ and τ, its uploads.

Sessions share only the cached pretrained models and datasets (`explorer.ui.cache`), and those are
read-only: their weights refuse in-place writes, so no session can change them even by mistake.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import torch
from apptest import assert_clean, chart_specs, open_page, open_tab
from streamlit.testing.v1 import AppTest

from explorer import models
from explorer.store import checkpoints, zoo
from explorer.training import jobs
from explorer.training.jobs import TrainingJob, wait_until
from explorer.training.train import TrainConfig
from explorer.ui import cache

TINY = dict(x_dim=16, z_dim=2, hidden=(8,), image_shape=(4, 4))
NEEDS_DIGITS_MODELS = pytest.mark.skipif(
    not {"digits-ae-2d", "digits-vae-2d"} <= set(zoo.names()), reason="no pretrained digits models: run pretrain")


@pytest.fixture(autouse=True)
def no_leftover_jobs():
    yield
    for job in list(jobs._running):
        job.stop()


def view(at: AppTest) -> list:
    """What a session shows: images, charts and the widgets' values."""
    images = [i.proto for i in at.get("image")]  # protobuf messages compare by their fields
    charts = chart_specs(at)
    widgets = {w.key: w.value for kind in ("slider", "select_slider", "radio", "toggle") for w in at.get(kind)
               if getattr(w, "key", None)}
    return [images, charts, widgets]


def digits_page(page: str, picker: str, tab: tuple[str, str] | None = None) -> AppTest:
    """The page on digits; `tab` = (key, label) opens the lazy tab the dataset picker is on first."""
    at = open_page(page, timeout=180)
    if tab is not None:
        open_tab(at, *tab)
    at.radio(key=picker).set_value("digits").run()
    assert_clean(at)
    return at


@NEEDS_DIGITS_MODELS
def test_training_with_extreme_beta_and_sigma_in_one_session_leaves_another_untouched():
    a, b = digits_page("latent_space.py", "latent_dataset"), digits_page("latent_space.py", "latent_dataset")
    seen_by_b = view(b)
    open_tab(a, "latent_tab", "Train your own")
    a.radio(key="latent_train_lik").set_value("gaussian").run()
    a.select_slider(key="latent_train_beta").set_value(10.0).run()
    a.slider(key="latent_train_sigma").set_value(0.01).run()
    a.select_slider(key="latent_train_steps").set_value(250).run()
    a.button(key="latent_train_start").click().run()
    job = a.session_state["latent_train_job"]
    assert wait_until(lambda: job.step >= 20, timeout=60) and job.trainer.knobs["decoder_sigma"] == 0.01
    a.run()
    assert_clean(a)
    b.run()
    assert_clean(b)
    assert "latent_train_job" not in b.session_state  # b never opened the training tab
    assert view(b) == seen_by_b, "another session's training or sliders changed what this one shows"


def test_tau_and_training_on_the_categorical_page_stay_in_their_session():
    live = ("gumbel_tab", "Train your own")
    a, b = (digits_page("categorical_vae.py", "gumbel_dataset", live),
            digits_page("categorical_vae.py", "gumbel_dataset", live))
    seen_by_b = view(b)
    a.select_slider(key="gumbel_live_tau").set_value(0.01).run()
    a.select_slider(key="gumbel_live_steps").set_value(250).run()
    a.button(key="gumbel_live_start").click().run()
    job = a.session_state["gumbel_live_job"]
    assert wait_until(lambda: job.step >= 10, timeout=60) and job.trainer.knobs["tau"] == 0.01
    b.run()
    assert_clean(b)
    b_job = b.session_state["gumbel_live_job"]
    assert b_job is not job and b_job.state == "ready" and b_job.step == 0
    assert b.select_slider(key="gumbel_live_tau").value == 1.0
    assert view(b) == seen_by_b


def test_an_upload_stays_in_its_session_and_out_of_the_shared_cache(tmp_path):
    torch.manual_seed(0)
    data = checkpoints.save(models.build("vae", None, **TINY), tmp_path / "m.safetensors").read_bytes()
    names_before = zoo.names()
    a, b = open_page("my_models.py"), open_page("my_models.py")
    a.file_uploader(key="my_models_upload").set_value(("mine.safetensors", data, "application/octet-stream")).run()
    assert list(a.session_state["my_models"]) == ["mine.safetensors"]
    b.run()
    assert_clean(b)
    assert not b.session_state["my_models"] and any("No model loaded" in i.value for i in b.info)
    assert zoo.names() == names_before  # nothing was registered in the zoo, whose models the cache serves


def cached_tiny_model(zoo_dir: Path) -> torch.nn.Module:
    """The object that `cache.pretrained` hands to every session, fetched inside a script run."""
    torch.manual_seed(0)
    zoo.register("tiny-vae", models.build("vae", None, **TINY), dataset="digits", data="test", steps=1, seed=0,
                 wall_time_s=0.1, metrics={}, dir=zoo_dir)

    def script():
        import streamlit as st

        from explorer.ui import cache

        st.session_state["model"] = cache.pretrained("tiny-vae")

    first, second = AppTest.from_function(script), AppTest.from_function(script)
    first.run()
    second.run()
    assert first.session_state["model"] is second.session_state["model"], "sessions share one cached model"
    return first.session_state["model"]


def test_cached_models_are_read_only_and_a_write_fails(zoo_dir):
    shared = cached_tiny_model(zoo_dir)
    before = {k: v.clone() for k, v in shared.state_dict().items()}
    params = list(shared.parameters())
    assert params and all(not p.requires_grad for p in params) and not shared.training
    weight = shared.decoder[0].weight
    attempts = {
        "add_": lambda: weight.add_(1.0),
        "add_ under no_grad": lambda: torch.no_grad()(weight.add_)(1.0),
        ".data.fill_": lambda: weight.data.fill_(0.0),
        "item assignment": lambda: weight.__setitem__(0, 0.0),
        "a view's write": lambda: weight[0].zero_(),
        "copy_ from load_state_dict": lambda: shared.load_state_dict({k: v * 0 for k, v in before.items()}),
        "an optimizer step": lambda: torch._foreach_add_(params, 1.0),
        "a buffer's write": lambda: shared.prior_loc.add_(1.0),
        "turning gradients on": lambda: weight.requires_grad_(True),
        "moving to float64": lambda: shared.double(),
    }
    for what, attempt in attempts.items():
        with pytest.raises(RuntimeError, match="every session shares"):
            attempt()
            pytest.fail(f"{what} changed a shared model")
    with pytest.raises(ValueError, match="read-only"):
        weight.detach().numpy()[0, 0] = 5.0
    for name, value in shared.state_dict().items():
        assert torch.equal(value, before[name]) and value.dtype == before[name].dtype, name


def test_a_session_trains_its_own_writable_copy_of_a_cached_model(zoo_dir):
    shared = cached_tiny_model(zoo_dir)
    before = {k: v.clone() for k, v in shared.state_dict().items()}
    own = copy.deepcopy(shared)
    assert all(type(p) is torch.nn.Parameter for p in own.parameters())
    job = TrainingJob(shared, torch.rand(128, 16), TrainConfig(steps=30, batch_size=32), {"beta": 1.0})
    job.start()
    job.join(30)
    assert job.state == "finished", job.message
    assert not torch.equal(job.model.decoder[0].weight, shared.decoder[0].weight)
    for name, value in shared.state_dict().items():
        assert torch.equal(value, before[name]), name
    with pytest.raises(cache.SharedModelWriteError):  # training the shared object itself is refused
        TrainingJob(shared, torch.rand(8, 16), copy_model=False)
