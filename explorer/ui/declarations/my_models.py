"""The Your models page: upload a checkpoint and see what it holds; download the models trained in this
session."""

from __future__ import annotations

import streamlit as st

from explorer.store import checkpoints
from explorer.ui.declare import MAIN, PageSpec, TabSpec, markdown
from explorer.ui.views import my_models as model_io
from explorer.ui.views import my_models_cards as cards

INTRO = (markdown("Bring a model to class, or take one home. A Latent Lab checkpoint is one `.safetensors` file: "
                  "the weights, and in its header the model's kind, config and held-out metrics. Files are checked "
                  "before anything is built from them and are never unpickled. What you load here stays in your "
                  "browser session: nobody else sees it, and it is gone when you close the tab."),)


def main_view() -> None:
    """The uploader, compact at the top; the loaded models' cards (before any, a pretrained example's) under it,
    so a picture is on the first screen; then the models this session trained."""
    model_io.upload_panel()
    cards.models_panel()
    st.subheader("Trained in this session")
    model_io.trained_panel()


PAGE = PageSpec(
    intro=INTRO,
    stem="my_models", title="Your models", icon=":material/upload_file:", section="Your own input",
    idea="Your own models",
    summary="Download a model you trained here, load it back, or open a checkpoint someone shared.",
    # upload goes through load_bytes; _model_from_bytes and _checked_tensors are why nothing is ever unpickled
    tabs=(TabSpec(MAIN, main_view, MAIN, code=(checkpoints.save, checkpoints.load_bytes,
                                               checkpoints._model_from_bytes, checkpoints._checked_tensors)),),
)
