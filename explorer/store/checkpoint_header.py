"""The header of a safetensors checkpoint, read as a stranger's file: its length, its JSON and the Latent
Lab metadata in it (format tag, model kind, and the config, metrics and extra information as JSON strings).

Everything here refuses with a `CheckpointError` that says what is wrong and what to do. The header's JSON,
and each metadata string, is held to `explorer.store.config_limits` (size, nesting depth) before `json.loads`
reads it: json.loads recurses once per nesting level, so a 10⁵-deep list ended in a RecursionError.
"""

from __future__ import annotations

import json

from explorer.models import is_saved_kind, saved_kinds
from explorer.store import config_limits
from explorer.store.config_limits import LimitError

FORMAT = "latent-lab/1"
HEADER_LENGTH_BYTES = 8  # a safetensors file opens with its JSON header's length, a u64 LE
RESAVE_HINT = "save the model again with Latent Lab (explorer.store.checkpoints.save) and use that file"


class CheckpointError(ValueError):
    """A checkpoint that cannot be saved or loaded; the message says what is wrong and what to do."""


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


def _bounded_json(text: str | bytes | memoryview, what: str, label: str) -> None:
    """Refuse JSON text over config_limits' size or nesting depth, before json.loads recurses into it."""
    try:
        config_limits.check_json_text(text, what)
    except LimitError as err:
        raise CheckpointError(f"{label} is refused before it is read further: {err}. It was not written by "
                              f"Latent Lab; {RESAVE_HINT}") from err


def parse_header(head: bytes, size: int, label: str) -> dict:
    """The JSON header of a safetensors file whose first bytes are `head` and length `size`."""
    if len(head) <= HEADER_LENGTH_BYTES or head[HEADER_LENGTH_BYTES : HEADER_LENGTH_BYTES + 1] != b"{":
        raise _not_safetensors(head, label)
    header_end = HEADER_LENGTH_BYTES + int.from_bytes(head[:HEADER_LENGTH_BYTES], "little")
    if header_end > size:
        raise _truncated(label, header_end, size)
    # a view: a header over the size limit is refused before it is copied (`head` may also stop just past it)
    _bounded_json(memoryview(head)[HEADER_LENGTH_BYTES:header_end], "its header", label)
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


def metadata_from_header(header: dict, label: str) -> dict:
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
    if not is_saved_kind(kind):
        raise CheckpointError(
            f"{label} holds a model of unknown kind {kind!r} (this version knows "
            f"{', '.join(saved_kinds())}); load it with the Latent Lab version that saved it"
        )
    if "config" not in stored:
        raise CheckpointError(f"{label} has no model config in its metadata; {RESAVE_HINT}")
    metadata = {"format": FORMAT, "kind": kind}
    for key in ("config", "metrics", "extra"):
        text = stored.get(key, "{}")
        if isinstance(text, str):
            _bounded_json(text, f"its {key} metadata", label)
        try:
            value = json.loads(text)
        except (TypeError, ValueError):
            value = None
        if not isinstance(value, dict):
            raise CheckpointError(f"{label}'s {key} metadata is not a JSON object; {RESAVE_HINT}")
        metadata[key] = value
    return metadata
