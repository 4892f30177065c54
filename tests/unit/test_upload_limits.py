"""Hostile uploads (issue 19): a checkpoint's config is held to `explorer.store.config_limits` before any module is
built (not even on the meta device), its header's JSON is bounded before it is parsed, float64 weights are
checked after the cast to float32, and a session keeps a bounded number of models.

No test here is timed (the test machine is shared and noisy): a refusal is shown to come before any work by
making every module constructor raise while the file is read.
"""

from __future__ import annotations

import dataclasses
import json
import tomllib
from pathlib import Path

import pytest
import safetensors.torch
import torch
from torch import nn

from explorer import models
from explorer.models import AUXILIARY, REGISTRY
from explorer.store import checkpoints
from explorer.store.checkpoints import CheckpointError
from explorer.ui.views import my_models as model_io

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = {**REGISTRY, **AUXILIARY}
TINY = {"hidden": (8,), "x_dim": 16, "image_shape": (4, 4)}
TINY_PRIOR = {"codebook_size": 8, "grid": (2, 2), "d_model": 8, "n_layers": 1, "n_heads": 2}


class ModuleBuilt(AssertionError):
    """Raised by every module constructor while a test holds that nothing may be built."""


@pytest.fixture
def no_modules(monkeypatch):
    """Any nn.Module built from here on (meta device included) fails the test."""
    def refuse(*args, **kwargs):
        raise ModuleBuilt("a module was built before the config was refused")

    monkeypatch.setattr(nn.Module, "__init__", refuse)
    monkeypatch.setattr(models, "build", refuse)
    monkeypatch.setattr(checkpoints, "build", refuse)


def tiny_config(kind: str, **overrides) -> dict:
    """A small valid config of `kind` as JSON would give it (lists, not tuples), with fields overridden."""
    config_cls = CONFIGS[kind][1]
    fields = {field.name for field in dataclasses.fields(config_cls)}
    tiny = TINY_PRIOR if kind == "prior" else {**TINY, "hidden": 8} if kind == "hvae" else TINY
    config = models.config_to_dict(config_cls(**{k: v for k, v in tiny.items() if k in fields}))
    return json.loads(json.dumps({**config, **overrides}))


def file_with_config(kind: str, config: dict, tensors: dict | None = None) -> bytes:
    """A safetensors file with Latent Lab metadata for `config`; the tensors do not matter to a refusal."""
    metadata = {"format": checkpoints.FORMAT, "kind": kind, "config": json.dumps(config)}
    return safetensors.torch.save(tensors or {"w": torch.zeros(1)}, metadata=metadata)


def raw_file(header: bytes, body: bytes = b"") -> bytes:
    """A file in the safetensors layout whose header text the test writes itself."""
    return len(header).to_bytes(8, "little") + header + body


HOSTILE = {  # case -> (kind, config overrides, words the refusal must contain: the field and its limit)
    "prior-grid-16000": ("prior", {"d_model": 1, "n_heads": 1, "grid": [16000]}, ["grid", "1,024"]),
    "vq-image-2048": ("vqvae", {"x_dim": 2048**2, "image_shape": [2048, 2048]}, ["image_shape", "64"]),
    "prior-20000-layers": ("prior", {"n_layers": 20000}, ["n_layers", "8"]),
    "vae-1e5-layers": ("vae", {"hidden": [1] * 10**5}, ["hidden", "8"]),
    "hvae-1e5-blocks": ("hvae", {"blocks": 10**5}, ["blocks", "8"]),
    "hvae-1e5-groups": ("hvae", {"groups": [1] * 10**5}, ["groups", "8"]),
    "negative-image": ("vae", {"image_shape": [-4, -4]}, ["image_shape", "64"]),
    "text-image": ("vae", {"image_shape": "ab"}, ["image_shape"]),
    "3d-image": ("vae", {"image_shape": [2, 2, 4]}, ["image_shape"]),
    "image-not-x": ("vae", {"image_shape": [4, 8]}, ["image_shape", "x_dim"]),
    "prior-heads": ("prior", {"d_model": 8, "n_heads": 3}, ["n_heads", "d_model"]),
    "vae-parameters": ("vae", {"x_dim": 4096, "image_shape": [64, 64], "hidden": [4096, 4096]},
                       ["parameters", "5,242,880"]),
    "vq-multiply-adds": ("vqvae", {"x_dim": 4096, "image_shape": [64, 64], "hidden": [512], "code_dim": 256},
                         ["multiply-adds", "67,108,864"]),
    "conv-sides": ("convvae", {"x_dim": 36, "image_shape": [6, 6], "hidden": [8, 8]}, ["image_shape", "4"]),
}


@pytest.mark.parametrize("kind, overrides, words", HOSTILE.values(), ids=HOSTILE)
def test_a_hostile_config_is_refused_before_any_module_is_built(kind, overrides, words, no_modules):
    with pytest.raises(CheckpointError) as refusal:
        checkpoints.load_bytes(file_with_config(kind, tiny_config(kind, **overrides)))
    for word in words:
        assert word in str(refusal.value)


@pytest.mark.parametrize("sigma", [-1.0, 0.0, float("nan"), float("inf"), "0.1", True, 1e9])
def test_decoder_sigma_is_validated(sigma, no_modules):
    with pytest.raises(CheckpointError, match="decoder_sigma"):
        checkpoints.load_bytes(file_with_config("vae", tiny_config("vae", decoder_sigma=sigma)))


EVERY_FIELD = [(kind, field.name) for kind, (_, config_cls) in CONFIGS.items()
               for field in dataclasses.fields(config_cls)]


@pytest.mark.parametrize("bad", ["ab", 10**12, [[1]]], ids=["text", "huge", "nested"])
@pytest.mark.parametrize("kind, field", EVERY_FIELD, ids=[f"{kind}.{field}" for kind, field in EVERY_FIELD])
def test_every_field_of_every_kind_is_checked(kind, field, bad, no_modules):
    with pytest.raises(CheckpointError, match=rf"\b{field}\b"):
        checkpoints.load_bytes(file_with_config(kind, tiny_config(kind, **{field: bad})))


def test_metadata_is_refused_by_its_config_too(tmp_path, no_modules):
    path = tmp_path / "bad.safetensors"
    path.write_bytes(file_with_config("prior", tiny_config("prior", n_layers=20000)))
    with pytest.raises(CheckpointError, match="n_layers"):
        checkpoints.read_metadata(path)


def deep(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_deeply_nested_json_in_the_header_is_refused_before_parsing(no_modules):
    header = json.dumps({"__metadata__": {"format": checkpoints.FORMAT}}).encode()
    nested = header[:-1] + b', "bomb": ' + deep(10**5).encode() + b"}"
    with pytest.raises(CheckpointError, match="nested"):
        checkpoints.load_bytes(raw_file(nested))


@pytest.mark.parametrize("key", ["config", "metrics", "extra"])
def test_deeply_nested_json_in_the_metadata_is_refused_before_parsing(key, no_modules):
    data = safetensors.torch.save({"w": torch.zeros(1)}, metadata={
        "format": checkpoints.FORMAT, "kind": "vae", "config": json.dumps(tiny_config("vae")), key: deep(10**5)})
    with pytest.raises(CheckpointError, match="nested"):
        checkpoints.load_bytes(data)


def test_brackets_inside_strings_do_not_count_as_nesting(tmp_path):
    model = models.build("vae", None, **TINY)
    path = checkpoints.save(model, tmp_path / "m.safetensors",
                            extra={"note": "[[[[" * 1000 + '"\\"{{{{'})
    assert checkpoints.load(path).kind == "vae"


def test_a_header_over_the_size_limit_is_refused(no_modules):
    data = safetensors.torch.save({"w": torch.zeros(1)}, metadata={
        "format": checkpoints.FORMAT, "kind": "vae", "config": json.dumps(tiny_config("vae")),
        "extra": json.dumps({"padding": "x" * 2 * 2**20})})
    with pytest.raises(CheckpointError, match="header"):
        checkpoints.load_bytes(data)


def test_read_metadata_reads_no_more_than_the_header_limit(tmp_path, monkeypatch):
    path = tmp_path / "big-header.safetensors"
    path.write_bytes(safetensors.torch.save({"w": torch.zeros(1)}, metadata={
        "format": checkpoints.FORMAT, "kind": "vae", "config": json.dumps(tiny_config("vae")),
        "extra": json.dumps({"padding": "x" * 2 * 2**20})}))
    with pytest.raises(CheckpointError, match="header is over the limit"):
        checkpoints.read_metadata(path)


def test_float64_weights_beyond_the_float32_range_are_refused():
    model = models.build("vae", None, **TINY)
    tensors = {key: value.double() for key, value in model.state_dict().items()}
    tensors["decoder.0.weight"][0, 0] = 1e300  # finite in float64, inf in float32
    data = file_with_config("vae", models.config_to_dict(model.config), tensors)
    with pytest.raises(CheckpointError, match="infinite values in tensor 'decoder.0.weight'"):
        checkpoints.load_bytes(data)


def test_float64_weights_within_range_load_as_float32():
    model = models.build("vae", None, **TINY)
    tensors = {key: value.double() for key, value in model.state_dict().items()}
    loaded = checkpoints.load_bytes(file_with_config("vae", models.config_to_dict(model.config), tensors))
    assert loaded.decoder[0].weight.dtype == torch.float32
    assert torch.equal(loaded.decoder[0].weight, model.decoder[0].weight)


def tiny_upload(tmp_path: Path, seed: int) -> bytes:
    torch.manual_seed(seed)
    model = models.build("vae", None, z_dim=2, **TINY)
    return checkpoints.save(model, tmp_path / f"m{seed}.safetensors").read_bytes()


def test_a_session_keeps_a_bounded_number_of_models(tmp_path):
    store: dict = {}
    limit = model_io.MODELS_PER_SESSION
    for seed in range(limit):
        model_io.accept(tiny_upload(tmp_path, seed), f"m{seed}.safetensors", store)
    with pytest.raises(CheckpointError, match=rf"{limit} models.*Remove"):
        model_io.accept(tiny_upload(tmp_path, limit), "one-more.safetensors", store)
    assert list(store) == [f"m{seed}.safetensors" for seed in range(limit)]
    model_io.accept(tiny_upload(tmp_path, 99), "m0.safetensors", store)  # replacing one is not one more
    assert len(store) == limit


def test_streamlit_shows_no_tracebacks_to_students():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["client"]["showErrorDetails"] in ("type", "none")


SHAPES = {  # kind -> configs whose stored numbers the arithmetic must count exactly
    "ae": [{}, {"hidden": ()}, {"z_dim": 5, "hidden": (7, 3)}],
    "vae": [{}, {"hidden": (), "image_shape": None, "x_dim": 2}, {"z_dim": 5, "hidden": (7, 3, 2)}],
    "gumbel": [{}, {"groups": 3, "categories": 4, "hidden": (6, 5)}],
    "hvae": [{}, {"groups": (3, 2, 1), "blocks": 2}, {"groups": (4,), "blocks": 0}],
    "vqvae": [{}, {"hidden": (4, 6), "code_dim": 3, "codebook_size": 5}, {"ema": True},
              {"arch": "mlp", "n_codes": 3, "hidden": (5,)}, {"arch": "mlp", "hidden": (), "ema": True}],
    "convvae": [{}, {"hidden": (4, 6), "code_dim": 3}],
    "prior": [{}, {"grid": (5,), "d_model": 12, "n_heads": 3, "n_layers": 2, "codebook_size": 3}],
}


@pytest.mark.parametrize("kind, overrides", [(k, o) for k, cases in SHAPES.items() for o in cases])
def test_the_arithmetic_counts_what_a_build_stores(kind, overrides):
    from explorer.store import config_limits

    config = models.config_from_dict(kind, tiny_config(kind, **overrides))
    stored = sum(tensor.numel() for tensor in models.build(kind, config).state_dict().values())
    assert config_limits.check(kind, config).stored_numbers == stored


def test_every_shipped_and_default_config_is_within_the_limits():
    from explorer.store import config_limits

    for path in sorted((ROOT / "pretrained").glob("*.safetensors")):
        checkpoints.read_metadata(path)
    for kind, (_, config_cls) in CONFIGS.items():
        config_limits.check(kind, config_cls())
    config_limits.check("vqvae", models.VQVAEConfig(codebook_size=512))  # the VQ-VAE page's largest K
