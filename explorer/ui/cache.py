"""Process-wide caches of pretrained models and datasets, shared read-only by every session.

`st.cache_resource` hands the same object to every session, so a cached model is frozen
(`requires_grad=False`, eval mode) and any training works on a copy (`explorer.jobs`).
"""

from __future__ import annotations

import numpy as np
import streamlit as st
import torch

from explorer import data, latent, zoo


def freeze(model: torch.nn.Module) -> torch.nn.Module:
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return model


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
