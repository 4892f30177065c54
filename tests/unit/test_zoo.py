"""The pretrained zoo registers models in a manifest, checks their hashes and loads fresh copies."""

from __future__ import annotations

import hashlib
import json
import os

import pytest
import torch

from explorer.models import build
from explorer.store import zoo
from explorer.store.checkpoints import CheckpointError

TINY = {"hidden": (8,), "x_dim": 16, "image_shape": (4, 4)}


def tiny_model(kind: str = "vae", seed: int = 0, **overrides):
    torch.manual_seed(seed)
    return build(kind, **{**TINY, **overrides})


def register(name, model, zoo_dir, **overrides):
    provenance = {
        "dataset": "mnist",
        "data": "MNIST train split, 60k images, binarized",
        "steps": 120,
        "seed": 0,
        "wall_time_s": 1.5,
        "metrics": {"test_elbo": -150.25},
    }
    return zoo.register(name, model, **{**provenance, **overrides}, dir=zoo_dir)


@pytest.fixture
def zoo_dir(tmp_path):
    register("tiny-vae", tiny_model("vae"), tmp_path, history={"step": [1, 2], "loss": [3.0, 2.5]})
    register("tiny-ae", tiny_model("ae", seed=1, z_dim=3), tmp_path, dataset="moons", seed=1)
    return tmp_path


def test_names_are_sorted_and_empty_without_a_manifest(zoo_dir, tmp_path_factory):
    assert zoo.names(zoo_dir) == ("tiny-ae", "tiny-vae")
    assert zoo.names(tmp_path_factory.mktemp("empty")) == ()


def test_entry_records_file_hash_config_and_provenance(zoo_dir):
    entry = zoo.entry("tiny-vae", zoo_dir)
    assert entry["file"] == "tiny-vae.safetensors"
    assert entry["sha256"] == hashlib.sha256((zoo_dir / entry["file"]).read_bytes()).hexdigest()
    assert entry["sha256"] == zoo.file_sha256(zoo.path("tiny-vae", zoo_dir))
    assert entry["kind"] == "vae" and entry["dataset"] == "mnist"
    assert entry["config"]["hidden"] == [8] and entry["config"]["x_dim"] == 16
    assert (entry["steps"], entry["seed"], entry["wall_time_s"]) == (120, 0, 1.5)
    assert entry["metrics"] == {"test_elbo": -150.25}
    assert entry["history"] == {"step": [1, 2], "loss": [3.0, 2.5]}
    assert "history" not in zoo.entry("tiny-ae", zoo_dir)
    assert zoo.entry("tiny-ae", zoo_dir)["config"]["z_dim"] == 3


def test_register_returns_what_the_manifest_holds(tmp_path):
    returned = register("m", tiny_model(), tmp_path, metrics={"test_elbo": torch.tensor(-2.5)})
    assert returned == zoo.entry("m", tmp_path)
    assert returned["metrics"] == {"test_elbo": -2.5}


def test_register_refuses_history_that_is_not_json_before_writing(tmp_path):
    with pytest.raises(CheckpointError, match="not JSON serializable"):
        register("m", tiny_model(), tmp_path, history={"loss": [1.0, object()]})
    assert list(tmp_path.iterdir()) == []


def test_load_round_trip_gives_fresh_models_in_eval_mode(zoo_dir):
    original = tiny_model("vae")
    first, second = zoo.load("tiny-vae", dir=zoo_dir), zoo.load("tiny-vae", dir=zoo_dir)
    assert first is not second and not first.training
    assert first.config == original.config
    z = torch.linspace(-1, 1, 8).reshape(4, 2)
    assert torch.equal(first.decode_mean(z), original.decode_mean(z))
    first.decoder[0].weight.data.zero_()  # a caller changing its copy must not touch the next one
    assert torch.equal(second.decode_mean(z), original.decode_mean(z))
    assert zoo.load("tiny-ae", dir=zoo_dir).kind == "ae"


def test_register_replaces_an_entry(zoo_dir):
    old_hash = zoo.entry("tiny-vae", zoo_dir)["sha256"]
    register("tiny-vae", tiny_model("vae", seed=5), zoo_dir, steps=999)
    assert zoo.names(zoo_dir) == ("tiny-ae", "tiny-vae")
    assert zoo.entry("tiny-vae", zoo_dir)["steps"] == 999
    assert zoo.entry("tiny-vae", zoo_dir)["sha256"] != old_hash
    assert "history" not in zoo.entry("tiny-vae", zoo_dir)
    z = torch.zeros(1, 2)
    assert torch.equal(zoo.load("tiny-vae", dir=zoo_dir).decode_mean(z), tiny_model(seed=5).decode_mean(z))


def test_tampered_file_is_refused_by_hash(zoo_dir):
    checkpoint = zoo.path("tiny-vae", zoo_dir)
    data = bytearray(checkpoint.read_bytes())
    data[-1] ^= 0x01  # one bit of one weight: still a loadable safetensors file
    checkpoint.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="SHA256.*python -m explorer pretrain"):
        zoo.load("tiny-vae", dir=zoo_dir)
    assert zoo.load("tiny-ae", dir=zoo_dir).kind == "ae"


def test_missing_file_is_refused(zoo_dir):
    zoo.path("tiny-ae", zoo_dir).unlink()
    with pytest.raises(CheckpointError, match="missing.*python -m explorer pretrain"):
        zoo.load("tiny-ae", dir=zoo_dir)


def test_manifest_that_disagrees_with_the_checkpoint_is_refused(zoo_dir):
    models = zoo.read_manifest(zoo_dir)["models"]
    models["tiny-ae"]["kind"] = "vae"
    zoo.write_manifest(models, zoo_dir)
    with pytest.raises(CheckpointError, match="manifest describes"):
        zoo.load("tiny-ae", dir=zoo_dir)


def test_file_outside_the_zoo_folder_is_refused(zoo_dir):
    models = zoo.read_manifest(zoo_dir)["models"]
    models["tiny-ae"]["file"] = "../elsewhere.safetensors"
    zoo.write_manifest(models, zoo_dir)
    with pytest.raises(CheckpointError, match="not a plain file name"):
        zoo.load("tiny-ae", dir=zoo_dir)


def test_unknown_name_lists_the_known_ones(zoo_dir, tmp_path_factory):
    with pytest.raises(KeyError, match="'nope'.*tiny-ae, tiny-vae"):
        zoo.load("nope", dir=zoo_dir)
    with pytest.raises(KeyError, match="none yet"):
        zoo.entry("nope", tmp_path_factory.mktemp("empty"))


@pytest.mark.parametrize("name", ["manifest", "../up", "Upper", "", "with space", ".hidden"])
def test_unsafe_names_are_refused(name, tmp_path):
    with pytest.raises(ValueError, match="not allowed"):
        register(name, tiny_model(), tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_manifest_is_valid_json_and_written_atomically(zoo_dir, monkeypatch):
    manifest_path = zoo_dir / zoo.MANIFEST_NAME
    manifest = json.loads(manifest_path.read_text())
    assert manifest["format"] == zoo.ZOO_FORMAT and list(manifest["models"]) == ["tiny-ae", "tiny-vae"]
    assert manifest == zoo.read_manifest(zoo_dir)
    files_before = sorted(p.name for p in zoo_dir.iterdir())
    assert files_before == sorted(
        ["manifest.json", "tiny-ae.json", "tiny-ae.safetensors", "tiny-vae.json", "tiny-vae.safetensors"]
    )
    text_before = manifest_path.read_text()

    def failing_replace(src, dst):
        raise OSError("power cut")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError, match="power cut"):
        zoo.write_manifest({}, zoo_dir)
    assert manifest_path.read_text() == text_before
    assert sorted(p.name for p in zoo_dir.iterdir()) == files_before


@pytest.mark.parametrize(
    "text, message",
    [("{not json", "not valid JSON"), ('{"format": "other/1", "models": {}}', "manifest")],
    ids=["broken-json", "wrong-format"],
)
def test_bad_manifest_is_refused(text, message, tmp_path):
    (tmp_path / zoo.MANIFEST_NAME).write_text(text)
    with pytest.raises(CheckpointError, match=message):
        zoo.names(tmp_path)


def _real_model_names() -> tuple[str, ...]:
    if not (zoo.PRETRAINED_DIR / zoo.MANIFEST_NAME).exists():
        return ()
    try:
        return zoo.names()
    except CheckpointError:
        return ("<unreadable manifest>",)  # the test then fails with read_manifest's message


REAL_NAMES = _real_model_names()


@pytest.mark.skipif(
    not REAL_NAMES, reason="no pretrained/manifest.json yet: run `python -m explorer pretrain`"
)
@pytest.mark.parametrize("name", REAL_NAMES or ("none",))
def test_real_pretrained_model_matches_its_hash_and_decodes(name):
    entry = zoo.read_manifest()["models"][name]
    assert zoo.file_sha256(zoo.path(name)) == entry["sha256"], (
        "stale file: re-run python -m explorer pretrain"
    )
    model = zoo.load(name)
    assert model.kind == entry["kind"] and not model.training
    drawn = model.sample(4, generator=torch.Generator().manual_seed(0))  # decoded prior samples, or codes
    if model.kind == "prior":
        assert drawn.shape == (4, *model.config.grid) and drawn.max() < model.config.codebook_size
    else:
        assert drawn.shape == (4, model.config.x_dim) and torch.isfinite(drawn).all()
