"""Process-wide caches of pretrained models and datasets, shared read-only by every session.

`st.cache_resource` hands the same object to every session, so a cached model is frozen: eval mode,
`requires_grad=False`, and its weights and buffers are write-protected tensors (`ReadOnlyParameter`,
`ReadOnlyTensor`) on which any in-place write raises `SharedModelWriteError`. Views of them (`.data`,
`.detach()`, a slice, `.numpy()`) are protected too. `copy.deepcopy` gives ordinary, writable tensors:
a session that trains works on its own copy (`explorer.training.jobs`).
"""

from __future__ import annotations

import numpy as np
import streamlit as st
import torch

from explorer import data
from explorer.maths import latent
from explorer.store import zoo


class SharedModelWriteError(RuntimeError):
    """An in-place write to a model that every session shares."""


# in-place methods end in one "_" (add_, copy_, requires_grad_); these dunders write too
_WRITING_DUNDERS = frozenset({"__setitem__", "__set__", "__delete__", "__iadd__", "__isub__", "__imul__",
                              "__itruediv__", "__ifloordiv__", "__imod__", "__ipow__", "__imatmul__",
                              "__iand__", "__ior__", "__ixor__", "__ilshift__", "__irshift__"})
_EXPORTS = frozenset({"numpy", "__array__"})  # return arrays that share the tensor's memory


def _protected(value) -> bool:
    if isinstance(value, (list, tuple)):
        return any(_protected(item) for item in value)
    return isinstance(value, (ReadOnlyParameter, ReadOnlyTensor))


def _writes(func, args: tuple, kwargs: dict) -> bool:
    """Whether `func(*args, **kwargs)` writes into a protected tensor."""
    name = getattr(func, "__name__", "")
    in_place = name in _WRITING_DUNDERS or (name.endswith("_") and not name.endswith("__"))
    if (in_place or kwargs.get("inplace") is True) and args and _protected(args[0]):
        return True
    return _protected(kwargs.get("out"))


def _storage(t: torch.Tensor) -> int | None:
    try:
        with torch._C.DisableTorchFunctionSubclass():  # no dispatch back into `_guard`
            return t.untyped_storage().data_ptr()
    except (RuntimeError, NotImplementedError):
        return None


def _guard(func, args: tuple, kwargs: dict | None):
    """`__torch_function__` of the protected tensors: refuse writes; keep views protected."""
    kwargs = kwargs or {}
    if _writes(func, args, kwargs):
        raise SharedModelWriteError(
            f"{getattr(func, '__name__', func)} would change a pretrained model that every session shares; "
            "train or edit a copy (copy.deepcopy(model)) instead")
    if getattr(func, "__name__", "") == "__deepcopy__":
        return ReadOnlyTensor.__deepcopy__(args[0], args[1] if len(args) > 1 else {})
    with torch._C.DisableTorchFunctionSubclass():
        result = func(*args, **kwargs)
    if getattr(func, "__name__", "") in _EXPORTS and isinstance(result, np.ndarray):
        result.flags.writeable = False
        return result
    shared = {_storage(a) for a in args if isinstance(a, torch.Tensor) and _protected(a)} - {None}
    if isinstance(result, torch.Tensor) and shared and _storage(result) in shared:
        return result.as_subclass(ReadOnlyTensor)  # a view, alias or .data of a protected tensor
    if isinstance(result, (tuple, list)) and shared:
        return type(result)(r.as_subclass(ReadOnlyTensor) if isinstance(r, torch.Tensor) and _storage(r) in shared
                            else r for r in result)
    return result


class ReadOnlyTensor(torch.Tensor):
    """A buffer of a shared model, or a view of one of its weights: in-place writes raise."""

    __torch_function__ = classmethod(lambda cls, func, types, args=(), kwargs=None: _guard(func, args, kwargs))

    def __deepcopy__(self, memo):
        if id(self) not in memo:
            with torch._C.DisableTorchFunctionSubclass():
                memo[id(self)] = torch.Tensor.clone(self).as_subclass(torch.Tensor)
        return memo[id(self)]


class ReadOnlyParameter(torch.nn.Parameter):
    """A weight of a shared model: `requires_grad` is False and in-place writes raise."""

    __torch_function__ = classmethod(lambda cls, func, types, args=(), kwargs=None: _guard(func, args, kwargs))

    def __deepcopy__(self, memo):  # a copy is an ordinary, trainable-once-asked parameter
        if id(self) not in memo:
            with torch._C.DisableTorchFunctionSubclass():
                memo[id(self)] = torch.nn.Parameter(torch.Tensor.clone(self).as_subclass(torch.Tensor),
                                                    requires_grad=False)
        return memo[id(self)]


def freeze(model: torch.nn.Module) -> torch.nn.Module:
    """Eval mode, no gradients, and write-protected weights and buffers (views share their memory)."""
    model.eval()
    seen: dict[int, torch.Tensor] = {}  # a tied weight stays one tensor
    for module in model.modules():
        for table, protect in ((module._parameters, _read_only_parameter), (module._buffers, _read_only_buffer)):
            for name, value in table.items():
                if value is not None and not _protected(value):
                    table[name] = seen.setdefault(id(value), protect(value))
    return model


def _read_only_parameter(p: torch.Tensor) -> ReadOnlyParameter:
    return ReadOnlyParameter(p.detach(), requires_grad=False)


def _read_only_buffer(t: torch.Tensor) -> ReadOnlyTensor:
    return t.detach().as_subclass(ReadOnlyTensor)


@st.cache_resource(show_spinner="Loading a pretrained model…")
def pretrained(name: str) -> torch.nn.Module:
    return freeze(zoo.load(name))


@st.cache_resource(show_spinner="Loading data…")
def dataset(name: str, split: str = "test") -> data.Dataset:
    return data.load(name, split)


@st.cache_data(show_spinner=False)
def encodings(model_name: str, dataset_name: str, limit: int = 2000) -> np.ndarray:
    """Posterior means of the first `limit` held-out samples under a pretrained model."""
    x = dataset(dataset_name, "test").x[:limit]
    return latent.encode_means(pretrained(model_name), x)


@st.cache_data(show_spinner=False)
def pretrained_dataset(name: str) -> str:
    """The dataset a pretrained model was trained on, from the manifest."""
    return zoo.entry(name)["dataset"]


@st.cache_data(show_spinner=False)
def pretrained_history(name: str) -> dict:
    """The recorded held-out history of a pretrained model ({} when none was kept)."""
    return zoo.entry(name).get("history") or {}
