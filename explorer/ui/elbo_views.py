"""The views of the "ELBO and the gap" page: pick an input, see p(z|x) beside q, every bound, the gap.

All numbers come from `explorer.likelihood` (log p(x) by quadrature) and `explorer.bounds`; this
module only picks inputs, caches results per input and lays out figures.
"""

from __future__ import annotations

import numpy as np
import streamlit as st
import torch

from explorer import bounds
from explorer.figures.bounds import bounds_figure, elbo_split_figure, gap_history_figure, posterior_figure
from explorer.figures.images import upscale
from explorer.ui import cache, canvas, session
from explorer.ui.figure_export import chart

MODELS = {"mnist-vae-2d": "MNIST, 2-D VAE", "moons-vae-2d": "Two moons, 2-D VAE"}
K_CHOICES = (1, 2, 5, 10, 50, 100, 500, 1000, 5000)
REPEATS = bounds.REPORT_REPEATS


def input_key(x: torch.Tensor) -> bytes:
    """The input as bytes: a hashable cache key that round-trips to the tensor."""
    return x.numpy().tobytes()


def exact_numbers(model_name: str, x_bytes: bytes) -> dict:
    """`bounds.report` for one input: log p(x), the posterior grid, the ELBO's parts, the gap two ways; its
    draws (the naive bound, q's samples) from the session's seed."""
    return _exact_numbers(model_name, x_bytes, session.seed())


@st.cache_data(show_spinner="Integrating p(x) over the latent plane…", max_entries=64)
def _exact_numbers(model_name: str, x_bytes: bytes, seed: int) -> dict:
    x = torch.from_numpy(np.frombuffer(x_bytes, dtype=np.float32).copy())
    return bounds.report(cache.pretrained(model_name), x, seed=seed)


@st.cache_data(show_spinner="Importance sampling…", max_entries=256)
def iwae_numbers(model_name: str, x_bytes: bytes, k: int, seed: int) -> tuple[float, float]:
    """The IWAE-k spread over `REPEATS` runs, drawn from `seed` (the session's)."""
    model = cache.pretrained(model_name)
    x = torch.from_numpy(np.frombuffer(x_bytes, dtype=np.float32).copy())[None]
    mean, std = bounds.iwae_spread(model, x, k, REPEATS, generator=seed)
    return float(mean[0]), float(std[0])


def pick_input(model_name: str) -> torch.Tensor | None:
    """A held-out sample chosen by index, or (for image models) a digit drawn on the canvas."""
    dataset_name = cache.pretrained_dataset(model_name)
    test = cache.dataset(dataset_name, "test")
    source = "held-out"
    if dataset_name == "mnist":
        source = st.radio("Input", ("held-out", "drawn"), horizontal=True, key=f"gap_source_{model_name}",
                          format_func=lambda s: "A held-out image" if s == "held-out" else "Draw a digit")
    if source == "drawn":
        drawn = canvas.draw_digit(key=f"gap_canvas_{model_name}")
        return None if drawn is None else torch.from_numpy(drawn.reshape(-1))
    index = st.number_input("Held-out sample", 0, len(test) - 1, 0, key=f"gap_index_{model_name}")
    x = test.x[int(index)]
    if test.is_image:
        st.image(upscale(x.reshape(test.image_shape).numpy(), 5), caption=f"x = held-out image {index}")
    else:
        st.markdown(f"x = ({x[0]:.2f}, {x[1]:.2f})")
    return x


def posterior_view(model_name: str, numbers: dict) -> None:
    chart(posterior_figure(numbers["z1"], numbers["z2"], numbers["log_density"], numbers["q_mean"],
                                     numbers["q_std"], numbers["q_samples"], "True posterior p(z|x) and q(z|x)"),
                    width="stretch", key=f"posterior_{model_name}")
    st.caption("Blue: p(z|x) ∝ p(x|z) p(z), computed on a grid. Red: the encoder's q(z|x) at 1σ and 2σ; "
               "orange: reparameterized samples z = μ + σ·ε.")


def bounds_view(model_name: str, x: torch.Tensor, numbers: dict) -> None:
    k = st.select_slider("Importance samples K", K_CHOICES, value=100, key=f"gap_k_{model_name}")
    iwae = iwae_numbers(model_name, input_key(x), k, session.seed())
    ladder = {"naive E_p(z) log p(x|z)": numbers["naive"], "ELBO": (numbers["elbo"], 0.0), f"IWAE-{k}": iwae}
    # the ELBO here is exact (E_q by quadrature over q), so its gap to log p(x) is the KL below
    chart(bounds_figure(numbers["log_px"], ladder, "Every bound on one axis"), width="stretch",
                    key=f"ladder_{model_name}")
    chart(elbo_split_figure(numbers["elbo"] + numbers["kl_prior"], numbers["kl_prior"]),
                    width="stretch", key=f"split_{model_name}")
    cols = st.columns(3)
    cols[0].metric("log p(x)", f"{numbers['log_px']:.2f}", help="adaptive quadrature, accurate to 0.01 nats")
    cols[1].metric("log p(x) − ELBO", f"{numbers['gap']:.3f}")
    cols[2].metric("KL(q ‖ p(z|x)) on the grid", f"{numbers['kl_to_posterior']:.3f}")
    st.caption(f"IWAE-{k}: mean ± sd over {REPEATS} repeats. A single run with large K can land above "
               "log p(x): the bound holds for the expectation, not for every draw.")


def history_view(model_name: str) -> None:
    history = cache.pretrained_history(model_name)
    if not history or "heldout_log_px" not in history:
        st.info("This checkpoint has no recorded history of log p(x); retrain it with `python -m explorer pretrain`.")
        return
    chart(gap_history_figure(history, "Held-out log p(x) and ELBO during training"), width="stretch",
                    key=f"history_{model_name}")
    st.caption("The shaded band is the mean gap KL(q ‖ p(z|x)) on the held-out images. It shrinks as the encoder "
               "learns, and stops where a Gaussian q cannot follow the true posterior's shape.")
