"""Saving and loading models as safetensors checkpoints, never through pickle.

A checkpoint is one .safetensors file: the model's state_dict (weights and buffers) plus, in the
header's string metadata, the format tag, model kind, config, metrics and free extra information,
each as JSON. `load` rebuilds the model from that config and refuses anything that is not exactly
such a checkpoint with a CheckpointError saying what is wrong and what to do. The header's JSON and the
config are held to `explorer.config_limits` before anything is parsed deeply or built from them. Files may be uploads
from strangers, so nothing here unpickles: torch.load on an untrusted file can run arbitrary code.
A pretty-printed <name>.json sidecar repeats the metadata for people; loading never reads it.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load as safetensors_load
from safetensors.torch import save as safetensors_save
from torch import nn

from explorer import config_limits
from explorer.config_limits import LimitError
from explorer.models import build, config_from_dict, config_to_dict, saved_kinds

FORMAT = "latent-lab/1"
MAX_BYTES = 200 * 1024 * 1024  # size cap for a file we will read
HEADER_LENGTH_BYTES = 8  # a safetensors file opens with its JSON header's length, a u64 LE
FLOAT_DTYPES = (torch.float16, torch.bfloat16, torch.float32, torch.float64)
UPLOAD_LABEL = "the uploaded file"
RESAVE_HINT = "save the model again with Latent Lab (explorer.checkpoints.save) and use that file"


class CheckpointError(ValueError):
    """A checkpoint that cannot be saved or loaded; the message says what is wrong and what to do."""


def to_json(value, what: str, indent: int | None = None) -> str:
    """Strict JSON text for `value`; tensor and numpy scalars become numbers, NaN is refused."""

    def plain(item):
        if hasattr(item, "item"):  # 0-d tensors and numpy scalars, as metrics often are
            return item.item()
        raise TypeError(f"{type(item).__name__} is not JSON serializable")

    try:
        return json.dumps(value, indent=indent, allow_nan=False, default=plain)
    except (TypeError, ValueError, RuntimeError) as err:
        raise CheckpointError(
            f"{what} cannot be stored as JSON ({err}); pass plain finite numbers, strings, lists and dicts"
        ) from err


def write_bytes_atomic(path: str | Path, data: bytes) -> Path:
    """Write `data` to `path` so that readers see the old file or the new one, never a part."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as temp_file:
            temp_file.write(data)
            temp_file.flush()
            os.fsync(temp_file.fileno())
        os.chmod(temp_name, 0o644)  # mkstemp makes 0600; a checkpoint is an ordinary file
        os.replace(temp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp_name)
        raise
    if os.name == "posix":  # so the rename itself survives a crash
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    return path


def save(model: nn.Module, path, metrics: dict | None = None, extra: dict | None = None) -> Path:
    """Write `model` to `path` and a <name>.json sidecar beside it, each atomically."""
    path = Path(path)
    sidecar = path.with_suffix(".json")
    if sidecar == path:
        raise CheckpointError(f"cannot save a checkpoint as {path.name}: name it <name>.safetensors")
    kind = getattr(model, "kind", None)
    if kind not in saved_kinds():
        raise CheckpointError(
            f"cannot save a {type(model).__name__}: its kind {kind!r} is not a registered model "
            f"kind ({', '.join(saved_kinds())}); add it to explorer.models.REGISTRY first"
        )
    header = {
        "format": FORMAT,
        "kind": kind,
        "config": to_json(config_to_dict(model.config), "the model config"),
        "metrics": to_json(dict(metrics or {}), "metrics"),
        "extra": to_json(dict(extra or {}), "extra"),
    }
    # clone: each tensor gets its own storage, as safetensors refuses tensors that share one
    tensors = {
        key: tensor.detach().to("cpu").contiguous().clone() for key, tensor in model.state_dict().items()
    }
    write_bytes_atomic(path, safetensors_save(tensors, metadata=header))
    readable = _metadata_from_header({"__metadata__": header}, path.name)
    write_bytes_atomic(sidecar, (to_json(readable, "metadata", indent=2) + "\n").encode())
    return path


def load(path, map_location="cpu") -> nn.Module:
    """The model stored at `path`, rebuilt from its config, in eval mode on `map_location`."""
    path = Path(path)
    return _model_from_bytes(read_checkpoint_bytes(path), path.name, map_location)


def load_bytes(data: bytes, map_location="cpu", *, label: str = UPLOAD_LABEL) -> nn.Module:
    """`load` for a file's contents, e.g. an upload; `label` names the file in error messages."""
    _check_size(len(data), label)
    return _model_from_bytes(bytes(data), label, map_location)


def read_metadata(path) -> dict:
    """{"format", "kind", "config", "metrics", "extra"} of a checkpoint, reading only its header."""
    path = Path(path)
    size = path.stat().st_size
    _check_size(size, path.name)
    with path.open("rb") as checkpoint_file:
        head = checkpoint_file.read(HEADER_LENGTH_BYTES)
        if len(head) == HEADER_LENGTH_BYTES:
            # one byte over the header limit is enough for _parse_header to refuse a longer header
            wanted = min(int.from_bytes(head, "little"), size, config_limits.HEADER_BYTES_MAX + 1)
            head += checkpoint_file.read(wanted)
    metadata = _metadata_from_header(_parse_header(head, size, path.name), path.name)
    _config_of(metadata, path.name)  # refuse a config that `load` would refuse
    return metadata


def read_checkpoint_bytes(path) -> bytes:
    """The bytes of the file at `path`, refusing one over MAX_BYTES before reading it."""
    path = Path(path)
    _check_size(path.stat().st_size, path.name)
    with path.open("rb") as checkpoint_file:
        data = checkpoint_file.read(MAX_BYTES + 1)
    _check_size(len(data), path.name)  # it may have grown since stat
    return data


def _check_size(size: int, label: str) -> None:
    if size > MAX_BYTES:
        raise CheckpointError(
            f"{label} is too large: {size / 2**20:.1f} MiB, over the {MAX_BYTES / 2**20:.1f} MiB "
            "limit. Latent Lab checkpoints are a few MiB, so this is not one; pick a checkpoint "
            "saved by Latent Lab"
        )


def _not_safetensors(head: bytes, label: str) -> CheckpointError:
    if not head:
        hint = " (it is empty)"
    elif head.startswith(b"PK\x03\x04"):
        hint = " (it looks like a PyTorch torch.save archive, which holds a pickle)"
    elif head.startswith(b"\x80"):
        hint = " (it looks like a Python pickle)"
    else:
        hint = ""
    return CheckpointError(
        f"{label} is not a safetensors file{hint}. Latent Lab reads only .safetensors "
        "checkpoints and never unpickles files, because unpickling can run arbitrary code; " + RESAVE_HINT
    )


def _truncated(label: str, needed: int, size: int) -> CheckpointError:
    return CheckpointError(
        f"{label} is truncated: its header promises {needed} bytes but the file has only {size}. "
        "It was cut off while being copied or downloaded; copy or download it again"
    )


def _over_limit(err: LimitError, label: str) -> CheckpointError:
    return CheckpointError(f"{label} is refused before it is read further: {err}. It was not written by "
                           f"Latent Lab; {RESAVE_HINT}")


def _parse_header(head: bytes, size: int, label: str) -> dict:
    """The JSON header of a safetensors file whose first bytes are `head` and length `size`."""
    if len(head) <= HEADER_LENGTH_BYTES or head[HEADER_LENGTH_BYTES : HEADER_LENGTH_BYTES + 1] != b"{":
        raise _not_safetensors(head, label)
    header_end = HEADER_LENGTH_BYTES + int.from_bytes(head[:HEADER_LENGTH_BYTES], "little")
    if header_end - HEADER_LENGTH_BYTES > config_limits.HEADER_BYTES_MAX:
        raise _over_limit(LimitError(f"its header is {header_end - HEADER_LENGTH_BYTES:,} bytes, over the limit "
                                     f"of {config_limits.HEADER_BYTES_MAX:,} (a Latent Lab header is a few KB)"), label)
    if header_end > size:
        raise _truncated(label, header_end, size)
    try:  # json.loads recurses once per nesting level: bound the depth first
        config_limits.check_json_text(head[HEADER_LENGTH_BYTES:header_end], "its header")
    except LimitError as err:
        raise _over_limit(err, label) from err
    try:
        header = json.loads(head[HEADER_LENGTH_BYTES:header_end])
    except ValueError as err:  # also UnicodeDecodeError
        raise _not_safetensors(head, label) from err
    if not isinstance(header, dict):
        raise _not_safetensors(head, label)
    try:
        data_end = max(
            (entry["data_offsets"][1] for key, entry in header.items() if key != "__metadata__"),
            default=0,
        )
    except (TypeError, KeyError, IndexError):
        return header  # malformed offsets: safetensors itself will refuse the file
    if isinstance(data_end, int) and header_end + data_end > size:
        raise _truncated(label, header_end + data_end, size)
    return header


def _metadata_from_header(header: dict, label: str) -> dict:
    """The checked, JSON-decoded Latent Lab metadata in a safetensors header."""
    stored = header.get("__metadata__")
    if not isinstance(stored, dict) or "format" not in stored:
        raise CheckpointError(
            f"{label} is a safetensors file without Latent Lab metadata (no 'format' entry), so it "
            f"does not say which model to build; {RESAVE_HINT}"
        )
    if stored["format"] != FORMAT:
        raise CheckpointError(
            f"{label} has checkpoint format {stored['format']!r}, but this version of Latent Lab "
            f"reads {FORMAT!r}; load it with the version that wrote it, or {RESAVE_HINT}"
        )
    kind = stored.get("kind")
    if kind not in saved_kinds():
        raise CheckpointError(
            f"{label} holds a model of unknown kind {kind!r} (this version knows "
            f"{', '.join(saved_kinds())}); load it with the Latent Lab version that saved it"
        )
    if "config" not in stored:
        raise CheckpointError(f"{label} has no model config in its metadata; {RESAVE_HINT}")
    metadata = {"format": FORMAT, "kind": kind}
    for key in ("config", "metrics", "extra"):
        text = stored.get(key, "{}")
        try:
            if isinstance(text, str):
                config_limits.check_json_text(text, f"its {key} metadata")
        except LimitError as err:
            raise _over_limit(err, label) from err
        try:
            value = json.loads(text)
        except (TypeError, ValueError):
            value = None
        if not isinstance(value, dict):
            raise CheckpointError(f"{label}'s {key} metadata is not a JSON object; {RESAVE_HINT}")
        metadata[key] = value
    return metadata


def _config_of(metadata: dict, label: str):
    """The checkpoint's config, held to `config_limits` by arithmetic alone: nothing is built yet."""
    kind = metadata["kind"]
    try:
        config = config_from_dict(kind, metadata["config"])
    except (TypeError, ValueError) as err:
        raise CheckpointError(
            f"{label}'s config does not fit a {kind!r} model: {err}. It was probably written by "
            f"another version of Latent Lab; {RESAVE_HINT}"
        ) from err
    try:
        config_limits.check(kind, config)
    except LimitError as err:
        raise CheckpointError(
            f"{label}'s config cannot build a {kind!r} model: {err}. Nothing was built from it; {RESAVE_HINT}"
        ) from err
    return config


def _decode_tensors(data: bytes, label: str) -> dict[str, torch.Tensor]:
    try:
        return safetensors_load(data)
    except (SafetensorError, KeyError, RuntimeError, ValueError) as err:
        raise CheckpointError(
            f"{label} is a damaged safetensors file ({err}); download or save it again"
        ) from err


def _model_from_bytes(data: bytes, label: str, map_location) -> nn.Module:
    metadata = _metadata_from_header(_parse_header(data, len(data), label), label)
    config = _config_of(metadata, label)
    tensors = _decode_tensors(data, label)
    kind = metadata["kind"]
    try:
        # the config is within explorer.config_limits, so this build takes at most ~21 MB and tens of ms:
        # no meta-device skeleton is needed to check the stored shapes first (and building a token prior on
        # "meta" imported torch._inductor, 0.7 s)
        model = build(kind, config)
    except (TypeError, ValueError, RuntimeError) as err:
        raise CheckpointError(
            f"{label}'s config cannot build a {kind!r} model ({err}); {RESAVE_HINT}"
        ) from err
    model.load_state_dict(_checked_tensors(model.state_dict(), tensors, kind, label), strict=True)
    return model.eval().to(map_location)


def _checked_tensors(expected: dict, stored: dict, kind: str, label: str) -> dict[str, torch.Tensor]:
    """The stored tensors in the model's dtypes; refused unless they are exactly, and finitely, what it needs."""
    mismatch = f"{label} does not hold the weights of the {kind!r} model its config describes:"
    missing = [key for key in expected if key not in stored]
    unexpected = [key for key in stored if key not in expected]
    for problem, keys in (("missing tensor", missing), ("unexpected tensor", unexpected)):
        if keys:
            more = f" (and {len(keys) - 1} more)" if len(keys) > 1 else ""
            raise CheckpointError(f"{mismatch} {problem} {keys[0]!r}{more}; {RESAVE_HINT}")
    checked = {}
    for key, want in expected.items():
        got = stored[key]
        if got.shape != want.shape:
            raise CheckpointError(
                f"{mismatch} tensor {key!r} has shape {tuple(got.shape)} but the config needs "
                f"shape {tuple(want.shape)}; the file was edited or damaged, so {RESAVE_HINT}"
            )
        wrong_float = want.is_floating_point() and got.dtype not in FLOAT_DTYPES
        if wrong_float or (not want.is_floating_point() and got.dtype != want.dtype):
            raise CheckpointError(
                f"{mismatch} tensor {key!r} has dtype {got.dtype} where {want.dtype} is expected; "
                + RESAVE_HINT
            )
        # cast first: a float64 of 1e300 is finite, and infinite once it is the model's float32
        checked[key] = got = got.to(want.dtype)
        if got.is_floating_point() and not torch.isfinite(got).all():
            raise CheckpointError(
                f"{label} has NaN or infinite values in tensor {key!r} (as {want.dtype}): the training run "
                "that made it had diverged. Retrain (e.g. with a smaller learning rate) and save again"
            )
    return checked
