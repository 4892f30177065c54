"""Uploads and downloads of the "Your models" page: good checkpoints load, hostile ones are refused.

Each refusal is a `CheckpointError` with a message that says what is wrong, and leaves the session's
models exactly as they were. A 1 GB upload is refused from its size, before a byte of it is read.
"""

from __future__ import annotations

import io
import json
import pickle
from pathlib import Path

import numpy as np
import pytest
import safetensors.torch
import torch

from explorer import models
from explorer.store import checkpoints
from explorer.store.checkpoints import CheckpointError
from explorer.training.jobs import TrainingJob
from explorer.training.train import TrainConfig
from explorer.ui.views import my_models as model_io

TINY = dict(x_dim=16, z_dim=2, hidden=(8,), image_shape=(4, 4))
GIB = 2**30


def tiny(seed: int = 0, **overrides):
    torch.manual_seed(seed)
    return models.build("vae", None, **{**TINY, **overrides})


def checkpoint_bytes(model, tmp_path: Path, metrics: dict | None = None) -> bytes:
    return checkpoints.save(model, tmp_path / "m.safetensors", metrics=metrics).read_bytes()


class Marker:
    """Unpickling this creates a file: proof that code ran."""

    def __init__(self, path: Path):
        self.path = path

    def __reduce__(self):
        return (Path.touch, (self.path,))


def hostile(tmp_path: Path) -> dict[str, tuple[str, bytes, str]]:
    """case -> (file name, contents, what the message must say)."""
    good = checkpoint_bytes(tiny(), tmp_path)
    wrong = {k: v.clone() for k, v in tiny().state_dict().items()}
    header = {"format": checkpoints.FORMAT, "kind": "vae",
              "config": json.dumps(models.config_to_dict(tiny(z_dim=3).config))}
    nan = {k: v.clone() for k, v in tiny().state_dict().items()}
    nan["decoder.0.weight"][0, 0] = float("nan")
    nan_header = {**header, "config": json.dumps(models.config_to_dict(tiny().config))}
    evil = pickle.dumps(Marker(tmp_path / "pwned"))
    return {
        "pickle": ("model.pkl", evil, r"not a \.safetensors file.*unpickling"),
        "pickle-renamed": ("model.safetensors", evil, r"not a safetensors file \(it looks like a Python pickle\)"),
        "torch-save": ("model.safetensors", _torch_save_bytes(), r"torch\.save archive"),
        "truncated": ("model.safetensors", good[: len(good) // 2], "truncated"),
        "wrong-shapes": ("model.safetensors", safetensors.torch.save(wrong, metadata=header),
                         r"has shape \(2,\) but the config needs shape \(3,\)"),
        "nan-weights": ("model.safetensors", safetensors.torch.save(nan, metadata=nan_header),
                        r"NaN or infinite values in tensor 'decoder\.0\.weight'"),
        "no-metadata": ("model.safetensors", safetensors.torch.save(wrong), "without Latent Lab metadata"),
        "empty": ("model.safetensors", b"", r"\(it is empty\)"),
    }


def _torch_save_bytes() -> bytes:
    buffer = io.BytesIO()
    torch.save(tiny().state_dict(), buffer)
    return buffer.getvalue()


def test_a_checkpoint_loads_with_its_kind_config_metrics_and_samples(tmp_path):
    model = tiny()
    loaded = model_io.load_upload(checkpoint_bytes(model, tmp_path, {"test_elbo": -12.5}), "mine.safetensors")
    assert (loaded.name, loaded.kind) == ("mine.safetensors", "vae")
    assert loaded.config["z_dim"] == 2 and loaded.metrics == {"test_elbo": -12.5}
    assert loaded.samples.shape == (model_io.SAMPLES, 4, 4) and np.isfinite(loaded.samples).all()
    for name, value in model.state_dict().items():
        assert torch.equal(loaded.model.state_dict()[name], value)


@pytest.mark.parametrize("case", ["pickle", "pickle-renamed", "torch-save", "truncated", "wrong-shapes",
                                  "nan-weights", "no-metadata", "empty"])
def test_hostile_or_broken_uploads_are_refused_and_change_nothing(case, tmp_path):
    name, data, message = hostile(tmp_path)[case]
    store = {"kept.safetensors": model_io.load_upload(checkpoint_bytes(tiny(), tmp_path), "kept.safetensors")}
    before = dict(store)
    with pytest.raises(CheckpointError, match=message):
        model_io.accept(data, name, store)
    assert store == before
    assert not (tmp_path / "pwned").exists(), "a pickle in an upload was unpickled"


class HugeUpload:
    """An upload that says it is 1 GB and fails the test if anything reads it."""

    name, size = "huge.safetensors", GIB

    def read(self, *args):
        raise AssertionError("a 1 GB upload was read before its size was checked")


def test_a_1_gb_upload_is_refused_from_its_size_before_reading():
    with pytest.raises(CheckpointError, match=r"1,024\.0 MB, over the 20 MB limit"):
        model_io.read_upload(HugeUpload(), HugeUpload.name)


def test_a_1_gb_sparse_file_is_refused_without_reading_it(tmp_path):
    big = tmp_path / "big.safetensors"
    with big.open("wb") as f:
        f.truncate(GIB)  # sparse: no gigabyte is written or allocated
    with big.open("rb") as f:
        with pytest.raises(CheckpointError, match="over the 20 MB limit"):
            model_io.read_upload(f, big.name)
        assert f.tell() == 0, "the file was read"


def test_an_upload_that_grows_past_its_stated_size_is_cut_at_the_limit():
    class Lying(io.BytesIO):
        size = 10

    with pytest.raises(CheckpointError, match="over the"):
        model_io.read_upload(Lying(b"x" * 2048), "lying.safetensors", limit=1024)


def test_a_trained_job_downloads_and_loads_back(tmp_path):
    x = torch.rand(128, 16)
    job = TrainingJob(tiny(), x, TrainConfig(steps=40, batch_size=32, eval_every=20), {"beta": 1.0}, x_test=x)
    job.start()
    job.join(30)
    state = {"latent_train_job": job, "other_job": "not a job", "latent_train_beta": 1.0}
    assert list(model_io.trained_jobs(state)) == ["latent_train_job"]
    data = model_io.job_checkpoint(job, "latent_train_job")
    name = model_io.file_name("latent_train_job", job)
    assert name == "latent_train-vae-step40.safetensors"
    back = model_io.load_upload(data, name)
    assert back.extra == {"trained_in": "latent_train", "step": 40, "state": "finished"}
    assert "test_elbo" in back.metrics
    for key, value in job.model.state_dict().items():
        assert torch.equal(back.model.state_dict()[key], value)


def test_a_running_job_downloads_between_two_steps():
    x = torch.rand(128, 16)
    job = TrainingJob(tiny(), x, TrainConfig(steps=10**6, batch_size=32), {"beta": 1.0})
    job.start()
    try:
        data = model_io.job_checkpoint(job, "run_job")
    finally:
        job.stop()
    assert model_io.load_upload(data, "run.safetensors").kind == "vae"


def test_a_token_prior_loads_without_samples(tmp_path):
    prior = models.build("prior", None)
    loaded = model_io.load_upload(checkpoint_bytes(prior, tmp_path), "prior.safetensors")
    assert loaded.kind == "prior" and loaded.samples is None
