"""The views of the "Latent space" page: AE vs VAE, hover-to-decode, manifold, interpolation, training.

Each view reads its widgets, calls `explorer.maths.latent` and draws `explorer.figures`; nothing here
computes maths of its own.
"""

from __future__ import annotations

import numpy as np
import streamlit as st
import torch

from explorer.figures.curves import training_curves
from explorer.figures.images import tile, upscale
from explorer.figures.latent import PRIOR_FRAME, latent_map, live_frame, manifold_figure, outside
from explorer.maths import latent
from explorer.training.jobs import TrainingJob
from explorer.ui import cache, hover_map, training
from explorer.ui.figure_export import chart

N_CODES = 1500  # held-out codes drawn on a map: enough to see the shape
MANIFOLD_N = 20
LIVE_CODES = 600  # codes redrawn at every poll while training: light for the browser
TRAIN = "latent_train"  # the training panel's key: its widgets are f"latent_train_{setting}"
FRAME = f"{TRAIN}_frame"  # session state: (the run, its live map's frame so far); an AE's frame only grows


def image_of(model, z: tuple[float, float]) -> np.ndarray:
    h, w = model.config.image_shape
    return latent.decode_points(model, np.array([z], dtype=np.float32))[0].reshape(h, w)


@st.cache_data(show_spinner=False, max_entries=32)
def _manifold(model_name: str, extent: tuple[float, float, float, float], n: int) -> np.ndarray:
    return latent.manifold_grid(cache.pretrained(model_name), extent, n)


@st.cache_data(show_spinner=False, max_entries=16)
def _map_payload(model_name: str, dataset_name: str, prior_z: np.ndarray | None) -> dict:
    """The canvas map's data for one model: codes, labels, prior marks and the pre-decoded grid (a PNG), built
    once for every session."""
    codes = cache.encodings(model_name, dataset_name)[:N_CODES]
    labels = cache.dataset(dataset_name, "test").labels
    extent = latent.latent_extent(codes)
    return hover_map.payload(codes, None if labels is None else labels[:N_CODES].numpy(),
                             _manifold(model_name, extent, MANIFOLD_N), extent, version=f"{model_name}:{extent}",
                             marks=prior_z, file_name=f"latent-lab-{model_name}-latent-map.png")


@st.fragment
def clickable_map(model_name: str, dataset_name: str, title: str, prior_z: np.ndarray) -> None:
    """A latent map that previews the decoded image under the pointer and decodes exactly where it is clicked.

    A fragment: a click reruns this map alone, and the canvas redraws only itself (BENCHMARKS.md, issue 11)."""
    st.markdown(f"**{title}**")
    last_key = f"click_{model_name}_last"
    released = hover_map.hover_map(_map_payload(model_name, dataset_name, prior_z), key=f"click_{model_name}",
                                   released=st.session_state.get(last_key))
    if released is not None:
        st.session_state[last_key] = released
    point = st.session_state.get(last_key)
    if point is None:
        st.caption("Click anywhere on the map to decode that exact point.")
    else:
        st.image(upscale(image_of(cache.pretrained(model_name), point), 5),
                 caption=f"decoded at z = ({point[0]:.2f}, {point[1]:.2f})")


def ae_vs_vae(dataset_name: str) -> None:
    prior_z = torch.randn(16, 2, generator=torch.Generator().manual_seed(0)).numpy()
    for column, kind, title in zip(st.columns(2), ("ae", "vae"), ("Autoencoder", "VAE"), strict=True):
        model_name = f"{dataset_name}-{kind}-2d"
        with column:
            clickable_map(model_name, dataset_name, title, prior_z)
            model = cache.pretrained(model_name)
            samples = latent.decode_points(model, prior_z).reshape(-1, *model.config.image_shape)
            st.image(upscale(tile(samples, 8), 3), caption="the × prior samples z ~ N(0, I), decoded",
                     width="stretch")


def hover_and_manifold(dataset_name: str) -> None:
    kind = st.radio("Model", ("vae", "ae"), format_func=str.upper, horizontal=True, key="hover_kind")
    model_name = f"{dataset_name}-{kind}-2d"
    data = _map_payload(model_name, dataset_name, None)
    extent = tuple(data["extent"])
    exact = st.session_state.get("hover_exact")
    released = hover_map.hover_map(data, key=f"hover_{model_name}",
                                   released=exact[1] if exact and exact[0] == model_name else None)
    if released is not None:
        st.session_state["hover_exact"] = exact = (model_name, released)
    left, right = st.columns([1, 2])
    if exact and exact[0] == model_name:
        z = exact[1]
        left.image(upscale(image_of(cache.pretrained(model_name), z), 8),
                   caption=f"exact decode at release: z = ({z[0]:.3f}, {z[1]:.3f})")
    else:
        left.info("Click or release on the map to decode that exact point here.")
    chart(manifold_figure(_manifold(model_name, extent, MANIFOLD_N), extent,
                          f"Decoded {MANIFOLD_N}×{MANIFOLD_N} grid over the same box"),
          width="stretch", key=f"manifold_{model_name}", container=right)


def interpolation(dataset_name: str) -> None:
    test = cache.dataset(dataset_name, "test")
    cols = st.columns([1, 1, 1, 1])
    i = cols[0].number_input("First held-out image", 0, len(test) - 1, 0, key="interp_a")
    j = cols[1].number_input("Second held-out image", 0, len(test) - 1, 1, key="interp_b")
    mode = cols[2].radio("Path", ("linear", "spherical"), horizontal=True, key="interp_mode")
    steps = cols[3].slider("Steps", 3, 16, 10, key="interp_steps")
    for kind in ("vae", "ae"):
        model_name = f"{dataset_name}-{kind}-2d"
        model = cache.pretrained(model_name)
        z_ends = latent.encode_means(model, test.x[[int(i), int(j)]])
        path = (latent.lerp if mode == "linear" else latent.slerp)(z_ends[0], z_ends[1], steps)
        images = latent.decode_points(model, path).reshape(-1, *model.config.image_shape)
        left, right = st.columns([1, 2])
        codes = cache.encodings(model_name, dataset_name)[:N_CODES]
        labels = test.labels[:N_CODES].numpy() if test.labels is not None else None
        fig = latent_map(codes, labels, latent.latent_extent(codes), f"{kind.upper()}: {mode} path",
                         path=path, height=380, legend=False)
        chart(fig, width="stretch", key=f"interp_map_{kind}", container=left)
        right.image(upscale(tile(images, steps), 4), caption=f"{kind.upper()}: decoded along the path",
                    width="stretch")


def _live_view(job: TrainingJob, test_x: torch.Tensor, labels: np.ndarray | None) -> None:
    """The loss terms (a rule where β or σ was moved) and the latent map in a frame fixed for the run
    (`figures.latent.live_frame`): a VAE's ±4 around its prior's circles, so β is seen as the codes' spread."""
    left, right = st.columns(2)
    history = job.history
    vae = job.model.capabilities.has_elbo
    keys = ("loss", "recon", "kl", "test_elbo") if vae else ("loss", "test_recon")
    chart(training_curves(history, keys, "Loss terms", yaxis_title="nats per image"), width="stretch", container=left)
    codes = job.read(lambda m: latent.encode_means(m, test_x))
    extent = _run_frame(job, codes, vae)
    chart(latent_map(codes, labels, extent, f"Latent map at step {job.step}", height=420, legend=False,
                     prior_circles=vae, clip=True), width="stretch", container=right)
    right.caption(_frame_caption(codes, extent, vae))


def _run_frame(job: TrainingJob, codes: np.ndarray, vae: bool) -> tuple[float, float, float, float]:
    """This run's frame now: a VAE's fixed one, an AE's grown from the frame kept for this very job (a new run,
    a new frame)."""
    kept = st.session_state.get(FRAME)
    extent = live_frame(codes, vae, kept[1] if kept and kept[0] is job else None)
    st.session_state[FRAME] = (job, extent)
    return extent


def _frame_caption(codes: np.ndarray, extent: tuple[float, float, float, float], vae: bool) -> str:
    """What the frame is, and how many codes it clips (drawn on its edge), in words."""
    beyond = int(outside(codes, extent).sum())
    clipped = (f"{beyond} of {len(codes)} codes lie beyond it, drawn on its edge as ◆." if beyond
               else f"All {len(codes)} codes lie inside it.")
    if vae:
        return (f"The frame stays at ±{PRIOR_FRAME:g} for the whole run; grey circles: the prior N(0, I) at 1σ, "
                f"2σ, 3σ. {clipped}")
    return f"An AE has no prior: its frame only grows, to hold the codes seen so far in this run. {clipped}"


def train_your_own(dataset_name: str) -> None:
    train, test = cache.dataset(dataset_name, "train"), cache.dataset(dataset_name, "test")
    test_x = test.x[:LIVE_CODES]
    labels = test.labels[:LIVE_CODES].numpy() if test.labels is not None else None
    training.panel(TRAIN, train, test, lambda job: _live_view(job, test_x, labels))


