"""The views of the "Exercises" page: the lecture's three exercises worked step by step, each step with its
value for the student's own numbers, and checked live (Kingma & Welling 2014, appendix B; van den Oord et al.
2017; Gumbel 1954, Jang et al. 2017, Maddison et al. 2017).

Numbers come from `explorer.analysis.exercises` (the typed formula is checked by `explorer.maths.safe_expr`, never
`eval`), figures from `explorer.figures.exercises` and `explorer.figures.estimators`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from explorer import data
from explorer.analysis import exercises
from explorer.figures import estimators as estimator_figures
from explorer.figures import exercises as figures
from explorer.maths import safe_expr
from explorer.store import checkpoints, zoo
from explorer.ui import cache
from explorer.ui.figure_export import chart
from explorer.ui.views.estimators import p_value_caption

KL_SAMPLES = 10_000
DIMS = (1, 2, 3, 4)
DEFAULT_MU, DEFAULT_SIGMA = (0.5, -1.0, 0.0, 1.5), (0.8, 1.5, 0.3, 1.0)
MU_LOW, MU_HIGH, MU_STEP = -3.0, 3.0, 0.1
SIGMA_LOW, SIGMA_HIGH, SIGMA_STEP = 0.05, 3.0, 0.05
K_CHOICES = (2, 4, 8, 16, 32, 64, 128, 256, 512)
TEMPERATURES = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
VQ_MODEL, VQ_IMAGES = "mnist-vqvae", 256
VQ_REMEDY = "run `python -m explorer pretrain --only mnist-vqvae` (it needs MNIST: see the README)"
TAUS = (10.0, 3.0, 1.0, 0.5, 0.2, 0.1, 0.05, 0.02, 0.01)
GUMBEL_SIZES = (100, 1000, 10_000, 100_000)
RELAXED_SAMPLES = 10_000


def _p_value(p: float) -> str:
    return "< 1e-16" if p < 1e-16 else f"{p:.2g}"


def _vector(values) -> str:
    if np.size(values) == 1 and np.ndim(values) == 0:
        return f"{float(values):.6g}"
    return "(" + ", ".join(f"{v:.4g}" for v in np.atleast_1d(values)) + ")"


def steps(rows: list[tuple[str, str]]) -> None:
    """A derivation: each step's equation on the left, its value for the current numbers on the right."""
    for latex, value in rows:
        left, right = st.columns([3, 2], vertical_alignment="center")
        left.latex(latex)
        right.markdown(value)


# --- 1. the analytic KL ---------------------------------------------------------------------------------

def gaussian_sliders() -> tuple[tuple[float, ...], tuple[float, ...]]:
    d = st.select_slider("dimensions d", DIMS, value=2, key="kl_d")
    cols = st.columns(d)
    mu = tuple(cols[j].slider(f"μ{j + 1}", MU_LOW, MU_HIGH, DEFAULT_MU[j], MU_STEP, key=f"kl_mu_{j}")
               for j in range(d))
    sigma = tuple(cols[j].slider(f"σ{j + 1}", SIGMA_LOW, SIGMA_HIGH, DEFAULT_SIGMA[j], SIGMA_STEP, key=f"kl_sigma_{j}")
                  for j in range(d))
    return mu, sigma


@st.cache_data(max_entries=256, show_spinner=False)
def kl_numbers(mu: tuple[float, ...], sigma: tuple[float, ...], seed: int) -> tuple[dict, dict, float]:
    return (exercises.kl_derivation(mu, sigma), exercises.kl_monte_carlo(mu, sigma, KL_SAMPLES, seed),
            exercises.kl_torch(mu, sigma))


def derivation_view(mu: tuple[float, ...], sigma: tuple[float, ...], seed: int) -> None:
    step, mc, _ = kl_numbers(mu, sigma, seed)
    var, second = np.square(sigma), np.square(mu) + np.square(sigma)
    steps([
        (r"\mathrm{KL}(q\,\|\,p) = \mathbb{E}_{q}\big[\log q(z) - \log p(z)\big]",
         f"≈ **{mc['estimate']:.4f}** ± {mc['stderr']:.4f} (mean over {KL_SAMPLES:,} draws z ~ q)"),
        (r"\log q(z) - \log p(z) = \sum_j \Big[-\log\sigma_j - \frac{(z_j-\mu_j)^2}{2\sigma_j^2}"
         r" + \frac{z_j^2}{2}\Big]", "the ½ log 2π of both densities cancel"),
        (r"\mathbb{E}_q (z_j-\mu_j)^2 = \sigma_j^2,\qquad \mathbb{E}_q z_j^2 = \mu_j^2 + \sigma_j^2",
         f"σ² = {_vector(var)}, sample {_vector(mc['centred_square'])}  \nμ² + σ² = {_vector(second)}, "
         f"sample {_vector(mc['square'])}"),
        (r"\mathbb{E}_q\log q(z) = -\sum_j\big(\tfrac12\log 2\pi + \log\sigma_j + \tfrac12\big)",
         f"= {step['e_log_q']:.4f}  (minus the entropy of q)"),
        (r"\mathbb{E}_q\log p(z) = -\sum_j\big(\tfrac12\log 2\pi + \tfrac12(\mu_j^2+\sigma_j^2)\big)",
         f"= {step['e_log_p']:.4f}, sample {mc['e_log_p']:.4f}"),
        (r"\mathrm{KL} = \mathbb{E}_q\log q(z) - \mathbb{E}_q\log p(z)",
         f"{step['e_log_q']:.4f} − ({step['e_log_p']:.4f}) = **{step['difference']:.4f}**"),
        (r"= \sum_j \Big(-\log\sigma_j - \tfrac12 + \tfrac12\big(\mu_j^2+\sigma_j^2\big)\Big)",
         f"per unit {_vector(step['per_unit'])}, sum **{step['sum_per_unit']:.4f}**"),
        (r"= \tfrac12\sum_j\big(\mu_j^2 + \sigma_j^2 - 1 - \log\sigma_j^2\big)", f"= **{step['closed_form']:.4f}**"),
    ])


def result_view(mu: tuple[float, ...], sigma: tuple[float, ...], seed: int) -> None:
    """The Monte-Carlo estimate converging on the closed form: the exercise's picture, beside its sliders (the
    stage, issue 22); `result_numbers` under the sliders, the derivation below."""
    step, mc, _ = kl_numbers(mu, sigma, seed)
    chart(figures.kl_convergence_figure(mc["sizes"], mc["running"], mc["running_stderr"],
                                                  step["closed_form"]), width="stretch", key="kl_convergence")


def result_numbers(mu: tuple[float, ...], sigma: tuple[float, ...], seed: int) -> None:
    """The three KLs, one under another: side by side in a narrow column the Monte-Carlo value was cut."""
    step, mc, torch_kl = kl_numbers(mu, sigma, seed)
    st.metric("KL, closed form (nats)", f"{step['closed_form']:.4f}")
    st.metric("KL, Monte Carlo (nats)", f"{mc['estimate']:.4f} ± {mc['stderr']:.4f}",
              help=f"{KL_SAMPLES:,} draws; ± one standard error")
    st.metric("KL, torch kl_divergence (nats)", f"{torch_kl:.4f}")


def expression_view(mu: tuple[float, ...], sigma: tuple[float, ...]) -> None:
    st.markdown("**Your turn.** Type the KL as an expression of the vectors `mu` and `sigma` (numpy style). "
                f"It is checked on your sliders' values and {exercises.CHECK_DRAWS - 1} random draws in 1 to 4 "
                "dimensions.")
    text = st.text_input("KL(q ‖ p) =", key="kl_expression", max_chars=safe_expr.MAX_LENGTH,
                         placeholder="an expression of mu and sigma, such as sum(mu**2) (not the answer)")
    st.caption("Allowed: numbers, `mu`, `sigma`, `pi`, `e`, `+ - * / **`, and the functions "
               + ", ".join(f"`{name}`" for name in safe_expr.FUNCTIONS) + " (also as `np.log`, …).")
    if not text.strip():
        return
    verdict = exercises.check_kl_expression(text, first=(mu, sigma))
    if verdict.correct:
        st.success(verdict.message, icon=":material/check_circle:")
        return
    st.warning(verdict.message, icon=":material/block:" if verdict.status == "refused" else ":material/cancel:")
    if verdict.case is not None:
        case = verdict.case
        st.table(pd.DataFrame({"μ": [_vector(case["mu"])], "σ": [_vector(case["sigma"])],
                               "your expression": [_vector(case["yours"])],
                               "KL = ½ Σ (μ² + σ² − 1 − log σ²)": [f"{case['expected']:.6g}"]},
                              index=[f"draw {case['draw']}"]))


# --- 2. the VQ-VAE's KL -----------------------------------------------------------------------------------

def one_hot_view(k: int, picture: DeltaGenerator) -> None:
    """The one-hot q's KL: its chart in `picture` (beside the knobs, issue 22), the derivation's steps below."""
    chart(figures.one_hot_figure(k), width="stretch", key="vq_one_hot", container=picture)
    numbers = exercises.one_hot_kl(k)
    steps([
        (r"\mathrm{KL}(q\,\|\,p) = \sum_k q_k \log\frac{q_k}{p_k} = \sum_k q_k\log q_k - \sum_k q_k \log p_k",
         f"kl_divergence: **{numbers['kl']:.6f}**"),
        (r"\sum_k q_k \log q_k = 1\cdot\log 1 + \sum_{k\neq k^*} 0\cdot\log 0 = 0",
         f"= {numbers['neg_entropy']:.6f}  (0 log 0 = 0)"),
        (r"-\sum_k q_k\log p_k = -\log\tfrac1K = \log K", f"= {numbers['cross_entropy']:.6f}"),
        (r"\Rightarrow\ \mathrm{KL} = \log K", f"log {k} = **{numbers['log_k']:.6f}**, for every input x"),
    ])


@st.cache_data(max_entries=64, show_spinner=False)
def toy_soft(k: int, temperature: float) -> dict:
    return exercises.soft_code_kl(*exercises.toy_codes(k), temperature)


def soft_view(k: int, temperature: float) -> None:
    st.latex(r"q_k(x) \propto e^{-\|z_e(x) - e_k\|^2/T}\ \Rightarrow\ \mathrm{KL}(q\,\|\,p) = \log K - H(q)"
             r" \;<\; \log K")
    numbers = toy_soft(k, temperature)
    title = f"Soft q over 500 random z_e and K = {k} random codes, T = {temperature:g}"
    chart(figures.soft_kl_histogram(numbers["kl"], numbers["log_k"], title), width="stretch",
                    key="vq_soft_toy")
    gap = np.abs(numbers["kl"] - (numbers["log_k"] - numbers["entropy"])).max()
    st.caption(f"KL ranges over [{numbers['kl'].min():.3f}, {numbers['kl'].max():.3f}] with the input; "
               f"largest |KL − (log K − H(q))| = {gap:.1e}.")


def _vq_inputs(name: str):
    model = cache.pretrained(name)
    return model, cache.dataset(cache.pretrained_dataset(name), "test").x[:VQ_IMAGES]


@st.cache_data(show_spinner="Encoding held-out images…")
def vq_numbers(name: str) -> dict:
    return exercises.vq_model_kl(*_vq_inputs(name))


@st.cache_data(max_entries=16, show_spinner=False)
def vq_soft_numbers(name: str, temperature: float) -> dict:
    return exercises.vq_soft_kl(*_vq_inputs(name), temperature)


def model_view(temperature: float) -> None:
    """The shipped MNIST VQ-VAE's own KL, or a note that names the remedy when it or MNIST is missing."""
    if VQ_MODEL not in zoo.names():
        st.info(f"The shipped VQ-VAE ({VQ_MODEL}) is not here: {VQ_REMEDY}.")
        return
    try:
        hard = vq_numbers(VQ_MODEL)
    except data.DatasetUnavailable as err:
        st.info(f"The VQ-VAE's data is not available here ({err}). Make MNIST available and {VQ_REMEDY}.")
        return
    except checkpoints.CheckpointError as err:
        st.info(f"The shipped VQ-VAE cannot be loaded ({err}).")
        return
    k, positions = hard["k"], hard["n_positions"]
    st.table(pd.DataFrame({
        "per image (nats)": [f"{hard['reported'].min():.4f} … {hard['reported'].max():.4f}",
                             f"{hard['expected']:.4f}", f"{hard['direct'].min():.6f} … {hard['direct'].max():.6f}"]},
        index=["its loss(x)[\"kl\"] (float32)", f"n_positions · log K = {positions} · log {k}",
               "kl_divergence(one-hot q from its codes, its prior)"]))
    st.caption(f"{VQ_IMAGES} held-out images use {hard['distinct_codes']} of the {k} codes; every one of them has "
               f"the same KL. Largest |direct − {positions} log {k}| = "
               f"{np.abs(hard['direct'] - hard['expected']).max():.1e}.")
    numbers = vq_soft_numbers(VQ_MODEL, temperature)
    title = f"{VQ_MODEL}: soft q at every position, T = {temperature:g}, {VQ_IMAGES} images"
    chart(figures.soft_kl_histogram(numbers["kl"], hard["expected"], title), width="stretch",
                    key="vq_soft_model")


# --- 3. the Gumbel-max index ------------------------------------------------------------------------------

@st.cache_data(max_entries=128, show_spinner=False)
def gumbel_numbers(logits: tuple[float, ...], n: int, seed: int) -> tuple[dict, dict]:
    return exercises.gumbel_max_check(logits, n, seed), exercises.relaxed_limit(logits, TAUS, RELAXED_SAMPLES, seed)


def proof_steps(numbers: dict) -> None:
    """The proof that Gumbel-max samples follow softmax(θ), each step with its value for these θ."""
    fmt = _vector
    steps([
        (r"g_i = -\log(-\log u_i):\ P(\theta_i + g_i \le x) = F_i(x) = \exp(-e^{\theta_i - x})",
         "so θᵢ + gᵢ has the density exp(θᵢ − x) · Fᵢ(x)"),
        (r"P(k) = \int e^{\theta_k - x} F_k(x) \prod_{i\neq k} F_i(x)\,dx = \int e^{\theta_k - x}\prod_i F_i(x)\,dx",
         f"quadrature: {fmt(numbers['integral'])}"),
        (r"\prod_i F_i(x) = \exp\big(-e^{-x}\textstyle\sum_i e^{\theta_i}\big)", "a single Gumbel CDF"),
        (r"s = e^{-x}:\ P(k) = e^{\theta_k}\int_0^\infty e^{-s\sum_i e^{\theta_i}}\,ds"
         r" = \frac{e^{\theta_k}}{\sum_i e^{\theta_i}}", f"softmax(θ) = **{fmt(numbers['probs'])}**"),
    ])


def proof_picture(numbers: dict) -> None:
    """The sampled frequencies against softmax(θ) and the χ² tests: the exercise's picture, beside its sliders
    (the stage, issue 22); the tests one under another, as side by side their labels were cut."""
    k, fmt = len(numbers["probs"]), _vector
    chart(estimator_figures.gumbel_max_figure(numbers["probs"], numbers["counts"]), width="stretch",
                    key="gx_bars")
    st.metric("χ² against p", f"{numbers['chi2']:.2f}", help=f"{k - 1} degrees of freedom")
    st.metric("p-value against p", f"{numbers['p_value']:.3f}",
              help="the chance of a statistic this large if the samples do follow p")
    st.metric("p-value against softmax(2θ)", _p_value(numbers["p_value_wrong"]),
              help=f"a wrong p: {fmt(numbers['wrong_probs'])}")
    st.caption(f"Against p: {p_value_caption(numbers['method'])} Against softmax(2θ): "
               f"{p_value_caption(numbers['method_wrong'])}")


def relaxed_view(numbers: dict) -> None:
    st.latex(r"y = \operatorname{softmax}\big((\theta + g)/\tau\big):\quad \arg\max_k y_k = \arg\max_k(\theta_k"
             r" + g_k)\ \text{for every}\ \tau,\qquad \mathbb{E}\,y \xrightarrow{\tau\to 0} p")
    rows = numbers["rows"]
    chart(figures.tau_limit_figure(np.array(TAUS), np.array([r["tv_mean"] for r in rows]),
                                             np.array([r["tv_argmax"] for r in rows]),
                                             np.array([r["max_component"] for r in rows])),
                    width="stretch", key="gx_tau")
    st.table(pd.DataFrame({"mean of y": [_vector(r["mean"]) for r in rows],
                           "frequency of argmax y": [_vector(r["frequencies"]) for r in rows],
                           "p-value of the argmax": [f"{r['p_value']:.3f}" for r in rows]},
                          index=[f"τ = {t:g}" for t in TAUS]))
    st.caption(f"p = {_vector(numbers['probs'])}; {numbers['n']:,} relaxed samples per τ, the same noise for "
               "every τ. The argmax of a relaxed sample is a Gumbel-max sample at any τ; its mean reaches p "
               "only as the samples become one-hot. " + p_value_caption(rows[0]["method"]))
