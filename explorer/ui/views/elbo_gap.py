"""The views of the "ELBO and the gap" page: pick an input, see p(z|x) beside q and q*, every bound, the gap and
its two parts.

All numbers come from `explorer.analysis.elbo_report` (one report per input: log p(x) by quadrature, the exact ELBO, the
gap split, the naive bound ± its standard error) and `explorer.analysis.elbo_report.iwae_estimate`; every sentence that
states a number or a trend comes from `explorer.lecture.gap_notes`. This module only picks inputs, caches results per
input and lays out figures.
"""

from __future__ import annotations

import numpy as np
import streamlit as st
import torch

from explorer.analysis import elbo_report
from explorer.figures import bounds as figures
from explorer.figures.images import upscale
from explorer.lecture import gap_notes
from explorer.lecture.gap_notes import signed, with_error
from explorer.maths import likelihood
from explorer.ui import cache, canvas, session
from explorer.ui.figure_export import chart

MODELS = {"mnist-vae-2d": "MNIST, 2-D VAE", "moons-vae-2d": "Two moons, 2-D VAE"}
K_CHOICES = (1, 2, 5, 10, 50, 100, 500, 1000, 5000)
SPLIT_KEYS = ("heldout_approximation_gap", "heldout_amortization_gap")  # recorded by `pretrain.heldout_gap`
SPLIT_IMAGES = 16  # pretrain.SPLIT_IMAGES (not imported: the page would load the trainer)


def input_key(x: torch.Tensor) -> bytes:
    """The input as bytes: a hashable cache key that round-trips to the tensor."""
    return x.numpy().tobytes()


def exact_numbers(model_name: str, x_bytes: bytes) -> dict:
    """`elbo_report.report` for one input: log p(x), the posterior grid, the ELBO's parts, the gap two ways and
    split, the naive bound; its draws (the naive bound, q's samples) from the session's seed."""
    return _exact_numbers(model_name, x_bytes, session.seed())


@st.cache_data(show_spinner="Integrating p(x) over the latent plane…", max_entries=64)
def _exact_numbers(model_name: str, x_bytes: bytes, seed: int) -> dict:
    x = torch.from_numpy(np.frombuffer(x_bytes, dtype=np.float32).copy())
    return elbo_report.report(cache.pretrained(model_name), x, seed=seed)


@st.cache_data(show_spinner="Importance sampling…", max_entries=256)
def iwae_numbers(model_name: str, x_bytes: bytes, k: int, seed: int) -> elbo_report.Estimate:
    """IWAE-k ± its standard error over `elbo_report.iwae_repeats(k)` runs, drawn from `seed` (the session's)."""
    x = torch.from_numpy(np.frombuffer(x_bytes, dtype=np.float32).copy())
    return elbo_report.iwae_estimate(cache.pretrained(model_name), x, k, seed)


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
        if drawn is None:
            return None
        x, label = torch.from_numpy(drawn.reshape(-1)), "your digit"
    else:
        index = st.number_input("Held-out sample", 0, len(test) - 1, 0, key=f"gap_index_{model_name}")
        x, label = test.x[int(index)], f"held-out image {index}"
    if not test.is_image:
        st.markdown(f"x = ({x[0]:.2f}, {x[1]:.2f})")
        return x
    scored = likelihood.scored_input(cache.pretrained(model_name), x.reshape(1, -1))[0]
    caption = (f"x = {label}, binarised (pixels ≥ ½ on): a Bernoulli decoder gives probabilities to binary "
               "images, so every number below is about this one" if not torch.equal(scored, x) else f"x = {label}")
    st.image(upscale(scored.reshape(test.image_shape).numpy(), 5), caption=caption)
    return x


def posterior_view(model_name: str, numbers: dict) -> None:
    grid, q_star = (numbers[k] for k in ("z1", "z2", "log_density")), (numbers["q_star_mean"], numbers["q_star_cov"])
    chart(figures.posterior_figure(*grid, numbers["q_mean"], numbers["q_std"], numbers["q_samples"],
                                   "True posterior p(z|x), q(z|x) and q*(z|x)", q_star=q_star),
          width="stretch", key=f"posterior_{model_name}")
    st.caption("Blue: p(z|x) ∝ p(x|z) p(z), computed on a grid that frames both it and q. Red: the encoder's "
               "q(z|x) at 1σ and 2σ; orange: reparameterized samples z = μ + σ·ε. Green: q*(z|x), the best "
               "diagonal Gaussian for this input alone (Adam on its exact ELBO).")


def bounds_view(model_name: str, x: torch.Tensor, numbers: dict) -> None:
    k = st.select_slider("Importance samples K", K_CHOICES, value=100, key=f"gap_k_{model_name}")
    iwae, naive = iwae_numbers(model_name, input_key(x), k, session.seed()), numbers["naive"]
    ladder = {"naive E_p(z) log p(x|z)": (naive.mean, naive.stderr), "ELBO": (numbers["elbo"], 0.0),
              f"IWAE-{k}": (iwae.mean, iwae.stderr)}
    # the ELBO here is computed (E_q by quadrature over q), so its gap to log p(x) is the KL below
    chart(figures.bounds_figure(numbers["log_px"], ladder, "Every bound on one axis"), width="stretch",
          key=f"ladder_{model_name}")
    st.markdown(gap_notes.iwae_note(k, iwae, numbers["log_px"]))
    counterexample = gap_notes.naive_note(naive, numbers["elbo"])
    if counterexample:
        st.warning(counterexample, icon=":material/lightbulb:")
    chart(figures.elbo_split_figure(numbers["elbo"] + numbers["kl_prior"], numbers["kl_prior"]),
          width="stretch", key=f"split_{model_name}")
    numbers_view(k, iwae, numbers)


def numbers_view(k: int, iwae: elbo_report.Estimate, numbers: dict) -> None:
    """Which numbers are computed and which are estimated, side by side; the unit in every label, so the
    values fit their columns on a projector."""
    st.markdown("**Computed on grids** (quadrature, not sampling), nats per image:")
    cols = [*st.columns(2), *st.columns(2)]  # two by two: four in a row cut the gap's labels ("log p(x) − ELBO …")
    cols[0].metric("log p(x) (nats)", signed(numbers["log_px"]),
                   help=f"adaptive quadrature; error estimate {numbers['log_px_error_estimate']:.1e} nats (how much "
                        "the last halving of the cells moved it: an estimate, not a bound)")
    cols[1].metric("ELBO (nats)", signed(numbers["elbo"]),
                   help="E_q log p(x|z) by quadrature over q, minus KL(q ‖ p(z))")
    cols[2].metric("log p(x) − ELBO (nats)", signed(numbers["gap"], 3), help="the gap, nats per image, for this x")
    cols[3].metric("KL(q ‖ p(z|x)) on the grid (nats)", signed(numbers["kl_to_posterior"], 3),
                   help="the gap computed a second way, nats per image, for this x")
    st.markdown("**Estimated by Monte Carlo** (mean ± its standard error), nats per image:")
    cols = st.columns(2)
    naive = numbers["naive"]
    cols[0].metric("naive bound (nats)", with_error(naive, unit=""),
                   help=f"E_p(z) log p(x|z): mean of {naive.repeats} runs of {naive.draws} prior draws, ± the "
                        "standard error of that mean")
    cols[1].metric(f"IWAE-{k} (nats)", with_error(iwae, unit=""),
                   help=f"mean of {iwae.repeats} runs of K = {k} draws from q, ± the standard error of that mean")


def split_view(model_name: str, numbers: dict) -> None:
    """The gap of this input as approximation + amortization (Cremer et al. 2018), with the sentence that says it."""
    chart(figures.gap_split_figure(numbers["approximation_gap"], numbers["amortization_gap"],
                                   "log p(x) − ELBO = approximation gap + amortization gap"),
          width="stretch", key=f"gap_split_{model_name}")
    st.markdown(gap_notes.split_note(numbers["gap"], numbers["approximation_gap"], numbers["amortization_gap"]))


def history_view(model_name: str) -> None:
    history = cache.pretrained_history(model_name)
    if not history or "heldout_log_px" not in history:
        st.info("This checkpoint has no recorded history of log p(x); retrain it with `python -m explorer pretrain`.")
        return
    chart(figures.gap_history_figure(history, "Held-out log p(x) and ELBO during training (binarised images)"),
          width="stretch", key=f"history_{model_name}")
    st.caption(gap_notes.history_caption(history))
    if not all(history.get(key) for key in SPLIT_KEYS):
        st.caption("This checkpoint's history predates the split of the gap into its approximation and "
                   "amortization parts; `python -m explorer pretrain` records both.")
        return
    chart(figures.gap_split_history_figure(history, f"The gap's two parts during training (first {SPLIT_IMAGES} "
                                                    "held-out images)"), width="stretch",
          key=f"history_split_{model_name}")
    last = {key: history[key][-1] for key in SPLIT_KEYS}
    st.caption(f"At the last evaluation (step {history['step'][-1]:,}): "
               + gap_notes.split_note(sum(last.values()), *last.values(), subject="each image"))
