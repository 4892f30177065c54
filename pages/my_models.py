"""Your models: upload a checkpoint and see what it holds; download the models trained in this session."""

import streamlit as st

from explorer import checkpoints
from explorer.ui import model_io, notes, pages
from explorer.ui.code import show_code

pages.ensure_app_navigation()

st.title("Your models")
st.markdown("Bring a model to class, or take one home. A Latent Lab checkpoint is one `.safetensors` file: the "
            "weights, and in its header the model's kind, config and held-out metrics. Files are checked before "
            "anything is built from them and are never unpickled. What you load here stays in your browser "
            "session: nobody else sees it, and it is gone when you close the tab.")
notes.show("my_models", "main")

st.subheader("Upload a checkpoint")
model_io.upload_panel()
st.subheader("Models in this session")
model_io.models_panel()
st.subheader("Trained in this session")
model_io.trained_panel()
# upload goes through load_bytes; _model_from_bytes and _checked_tensors are why nothing is ever unpickled
show_code(checkpoints.save, checkpoints.load_bytes, checkpoints._model_from_bytes, checkpoints._checked_tensors)
