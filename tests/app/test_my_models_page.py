"""The "Your models" page in AppTest: it runs clean, shows an uploaded checkpoint, refuses hostile files
with a message (keeping what was loaded), and offers the session's trained models for download."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from apptest import assert_clean, open_page
from streamlit.testing.v1 import AppTest

from explorer import models
from explorer.store import checkpoints
from explorer.training.jobs import TrainingJob
from explorer.training.train import TrainConfig
from explorer.ui.views import my_models as model_io

PAGE = Path(__file__).resolve().parents[2] / "pages" / "my_models.py"
TINY = dict(x_dim=16, z_dim=2, hidden=(8,), image_shape=(4, 4))


def tiny_checkpoint(tmp_path: Path, seed: int = 0) -> bytes:
    torch.manual_seed(seed)
    model = models.build("vae", None, **TINY)
    return checkpoints.save(model, tmp_path / f"m{seed}.safetensors", metrics={"test_elbo": -9.5}).read_bytes()


def upload(at: AppTest, name: str, data: bytes) -> AppTest:
    at.file_uploader(key="my_models_upload").set_value((name, data, "application/octet-stream"))
    return at.run()


def test_the_page_runs_clean(zoo_dir):
    at = open_page("my_models.py")
    assert at.title[0].value == "Your models"
    assert any("No model loaded" in i.value for i in at.info)


def test_an_upload_is_shown_and_a_hostile_one_refused_without_losing_it(zoo_dir, tmp_path):
    at = upload(open_page("my_models.py"), "mine.safetensors", tiny_checkpoint(tmp_path))
    assert_clean(at)
    assert any("Loaded **mine.safetensors**" in s.value for s in at.success)
    assert at.get("image") and any(json.loads(j.proto.body).get("z_dim") == 2 for j in at.json)
    for name, data, message in [("evil.pkl", b"\x80\x04K\x01.", "not a .safetensors file"),
                                ("cut.safetensors", tiny_checkpoint(tmp_path)[:500], "truncated")]:
        upload(at, name, data)
        assert not at.exception, [e.message for e in at.exception]
        assert len(at.error) == 1 and message in at.error[0].value and "Not loaded" in at.error[0].value
        assert list(at.session_state["my_models"]) == ["mine.safetensors"]


def test_our_own_size_check_refuses_what_the_server_let_through(zoo_dir, tmp_path, monkeypatch):
    monkeypatch.setattr(model_io, "UPLOAD_LIMIT_BYTES", 1024)  # the server's cap could be raised by mistake
    at = upload(open_page("my_models.py"), "big.safetensors", tiny_checkpoint(tmp_path))
    assert "over the" in at.error[0].value and not at.session_state["my_models"]


def test_the_upload_limit_matches_the_server_config():
    config = (Path(__file__).resolve().parents[2] / ".streamlit" / "config.toml").read_text()
    assert f"maxUploadSize = {model_io.UPLOAD_LIMIT_MB}\n" in config


@pytest.mark.parametrize("state", ["running", "finished"])
def test_a_trained_model_downloads_and_opens_here(state, zoo_dir):
    torch.manual_seed(0)
    x = torch.rand(128, 16)
    steps = 30 if state == "finished" else 10**6
    job = TrainingJob(models.build("vae", None, **TINY), x, TrainConfig(steps=steps, batch_size=32), {"beta": 1.0})
    job.start()
    if state == "finished":
        job.join(30)
    try:
        at = AppTest.from_file(str(PAGE), default_timeout=60)
        at.session_state["latent_train_job"] = job
        at.run()
        assert_clean(at)
        assert at.get("download_button")
        at.button(key="my_models_open_latent_train_job").click().run()
        assert_clean(at)
        (name,) = at.session_state["my_models"]
        assert name.startswith("latent_train-vae-step") and at.get("image")
    finally:
        job.stop()


# --- hostile uploads (issue 19): no trace reaches the page, and a broken model can always be removed -----------

def checkpoint_with_config(tmp_path: Path, **config_overrides) -> bytes:
    """A tiny VAE's weights under a stored config that says something else."""
    import safetensors.torch

    tensors = safetensors.torch.load(tiny_checkpoint(tmp_path))
    config = {**models.config_to_dict(models.build("vae", None, **TINY).config), **config_overrides}
    metadata = {"format": checkpoints.FORMAT, "kind": "vae", "config": json.dumps(config)}
    return safetensors.torch.save(tensors, metadata=metadata)


def test_a_three_dimensional_image_shape_is_refused_and_the_page_keeps_working(zoo_dir, tmp_path):
    at = upload(open_page("my_models.py"), "3d.safetensors", checkpoint_with_config(tmp_path, image_shape=[2, 2, 4]))
    assert not at.exception, [e.message for e in at.exception]
    assert "image_shape" in at.error[0].value and not at.session_state["my_models"]
    assert not at.run().exception


def test_an_unexpected_failure_while_loading_is_a_message_not_a_trace(zoo_dir, tmp_path, monkeypatch):
    def fail(*args, **kwargs):
        raise RuntimeError("/srv/latent-lab/explorer/secret.py: something broke")

    monkeypatch.setattr(model_io, "prior_samples", fail)
    at = upload(open_page("my_models.py"), "odd.safetensors", tiny_checkpoint(tmp_path))
    assert not at.exception, [e.message for e in at.exception]
    assert "Not loaded" in at.error[0].value and "/srv" not in at.error[0].value
    assert not at.session_state["my_models"]


def test_a_model_that_cannot_be_drawn_says_so_and_can_be_removed(zoo_dir, tmp_path):
    import numpy as np

    model = checkpoints.load_bytes(tiny_checkpoint(tmp_path))
    broken = model_io.Loaded(name="odd.safetensors", kind="vae", config={}, metrics={}, extra={}, model=model,
                             samples=np.zeros((16, 2, 2, 4)))  # no page can draw 4-D samples
    at = AppTest.from_file(str(PAGE), default_timeout=60)
    at.session_state["my_models"] = {"odd.safetensors": broken}
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert any("cannot be shown" in e.value for e in at.error)
    at.button(key="my_models_remove_odd.safetensors").click().run()
    assert not at.exception and not at.session_state["my_models"]


def test_a_session_holds_a_bounded_number_of_models(zoo_dir, tmp_path):
    at = open_page("my_models.py")
    limit = model_io.MODELS_PER_SESSION
    for seed in range(limit):
        upload(at, f"m{seed}.safetensors", tiny_checkpoint(tmp_path, seed))
    upload(at, "one-more.safetensors", tiny_checkpoint(tmp_path, limit))
    assert not at.exception and f"{limit} models" in at.error[0].value
    assert len(at.session_state["my_models"]) == limit
    at.button(key="my_models_remove_m0.safetensors").click().run()  # room again: the waiting file loads
    assert not at.exception and "one-more.safetensors" in at.session_state["my_models"]
