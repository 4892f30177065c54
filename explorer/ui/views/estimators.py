"""The views of the "Reparameterization" and "Straight-through and Gumbel" pages (Williams 1992; Kingma &
Welling 2014; Bengio et al. 2013; Jang et al. 2017; Maddison et al. 2017).

Numbers come from `explorer.maths.estimators` and `explorer.maths.gumbel` (cached per slider value), figures from
`explorer.figures.estimators`. Each tab's equation and hint are its lecture note (`explorer.ui.notes`);
the sub-views under a tab's subheaders add their own.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from explorer.figures import estimators as figures
from explorer.maths import estimator_trends, estimators, gumbel
from explorer.maths.estimators import CategoricalObjective, GaussianObjective
from explorer.ui.figure_export import chart
from explorer.ui.notes import hint

N_SAMPLES = 10_000  # per-sample estimates behind every histogram and every bias and variance
FLOW_SHOWN = 40  # ε ↦ z lines drawn
FLOW_RANGE = (-9.0, 9.0)  # fits μ ± 3.5σ for the sliders' extremes, fixed so that moving a slider moves the points
TAUS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0)
SAMPLE_SIZES = (10, 30, 100, 300, 1000, 3000, 10_000, 30_000, 100_000)
SIMPLEX_SHOWN = 1500
OBJECTIVES = {"square": "(z − 1)²", "sin": "sin z", "step": "1[z > 1] (a step)"}
OBJECTIVE_LATEX = {"square": r"f(z) = (z-1)^2,\quad \mathbb{E}f = (\mu-1)^2 + \sigma^2",
                   "sin": r"f(z) = \sin z,\quad \mathbb{E}f = \sin\mu\; e^{-\sigma^2/2}",
                   "step": r"f(z) = \mathbb{1}[z > 1],\quad \mathbb{E}f = \Phi\big(\tfrac{\mu-1}{\sigma}\big)"}
COMPONENTS = {"μ": 0, "σ": 1}
CATEGORICAL = CategoricalObjective()


def seed_button(label: str, key: str, start: int = 0) -> int:
    """A button that draws new random numbers: the seed it returns starts at `start`, one more per click."""
    if key not in st.session_state:
        st.session_state[key] = start
    if st.button(label, key=f"{key}_button", icon=":material/casino:"):
        st.session_state[key] += 1
    return st.session_state[key]


# --- cached numbers: one entry per slider setting -------------------------------------------------------

@st.cache_data(max_entries=256, show_spinner=False)
def gaussian_numbers(kind: str, mu: float, sigma: float, seed: int) -> dict:
    return estimators.gaussian_report(GaussianObjective(kind), mu, sigma, N_SAMPLES, seed)


@st.cache_data(max_entries=256, show_spinner=False)
def variance_numbers(kind: str, mu: float, sigma: float) -> dict:
    return estimators.variance_by_sample_size(GaussianObjective(kind), mu, sigma)


@st.cache_data(max_entries=128, show_spinner=False)
def gumbel_max_numbers(logits: tuple[float, ...], seed: int) -> dict:
    return gumbel.gumbel_max_report(logits, SAMPLE_SIZES, seed)


@st.cache_data(max_entries=128, show_spinner="Measuring every estimator at every τ…")
def bias_variance_numbers(logits: tuple[float, ...]) -> dict:
    return estimators.bias_variance_report(CATEGORICAL, logits, TAUS, N_SAMPLES)


# --- the reparameterization page ------------------------------------------------------------------------

def flow_view(mu: float, sigma: float, seed: int) -> None:
    eps = estimators.standard_normal(FLOW_SHOWN, seed).numpy()
    z = estimators.reparameterize(mu, sigma, eps)
    chart(figures.reparameterization_figure(eps, z, mu, sigma, FLOW_RANGE), width="stretch",
          key="rep_flow")


def estimator_view(kind: str, mu: float, sigma: float, component: str, seed: int) -> None:
    st.latex(OBJECTIVE_LATEX[kind])  # the estimators' formulas are in the tab's note
    numbers, i = gaussian_numbers(kind, mu, sigma, seed), COMPONENTS[component]
    samples = {name: values[:, i] for name, values in numbers["samples"].items()}
    title = f"{N_SAMPLES:,} one-sample estimates of ∂E f/∂{component} (dotted: exact, dashed: mean)"
    chart(figures.gradient_histograms(samples, float(numbers["exact"][i]), title), width="stretch",
          key="rep_histograms")
    st.table(pd.DataFrame({"mean": [numbers["mean"][n][i] for n in samples],
                           "± standard error": [numbers["stderr"][n][i] for n in samples],
                           "exact": [numbers["exact"][i]] * len(samples),
                           "variance per sample": [numbers["variance"][n][i] for n in samples]},
                          index=list(samples)).style.format("{:.4f}"))
    st.caption(f"Baseline b = {numbers['baseline']:.3f}: the mean of f over {estimators.BASELINE_DRAWS} other draws "
               "of q. Any b that does not depend on the sample keeps the estimator unbiased, since E[∇ log q] = 0.")


def variance_view(kind: str, mu: float, sigma: float, component: str) -> None:
    numbers, i = variance_numbers(kind, mu, sigma), COMPONENTS[component]
    measured = {name: values[:, i] for name, values in numbers["measured"].items()}
    per_sample = {name: float(values[i]) for name, values in numbers["per_sample"].items()}
    title = f"Variance of the N-sample estimate of ∂E f/∂{component}"
    chart(figures.variance_figure(numbers["sizes"], measured, per_sample, title), width="stretch",
          key="rep_variance")


# --- the straight-through and Gumbel page --------------------------------------------------------------

def gumbel_max_view(logits: tuple[float, ...], n: int, seed: int) -> None:
    numbers = gumbel_max_numbers(logits, seed)
    at = SAMPLE_SIZES.index(n)
    left, right = st.columns(2)
    with left:
        chart(figures.gumbel_max_figure(numbers["probs"], numbers["counts"][at]), width="stretch",
              key="gm_bars")
    with right:
        chart(figures.convergence_figure(numbers["sizes"], numbers["tv"], n), width="stretch",
              key="gm_convergence")
    cols = st.columns(3)
    cols[0].metric("samples", f"{n:,}")
    cols[1].metric("χ² statistic", f"{numbers['chi2'][at]:.2f}", help=f"{len(logits) - 1} degrees of freedom")
    cols[2].metric("p-value of X²", f"{numbers['p_value'][at]:.3f}",
                   help="the chance of a statistic this large if the samples do follow p")
    st.caption(p_value_caption(numbers["method"][at]))


def p_value_caption(method: str) -> str:
    """How the p-value on screen was computed, and why when it is not the χ² law."""
    if method == gumbel.MONTE_CARLO_METHOD:
        return (f"p-value by {method}: an expected count n·p_k is below {gumbel.MIN_EXPECTED:g}, where the χ² law "
                "of X² would reject a true p far more often than the 5% it promises.")
    return f"p-value by the {method}: every expected count n·p_k is at least {gumbel.MIN_EXPECTED:g}."


def simplex_view(logits: tuple[float, ...], tau: float) -> None:
    numbers = gumbel.simplex_report(logits, tau, SIMPLEX_SHOWN)
    chart(figures.simplex_figure(numbers["samples"], numbers["probs"], numbers["mean"], numbers["category"],
                                 tau), width="stretch", key="gs_simplex")


def identity_table(numbers: dict) -> pd.DataFrame:
    rows = {"hard h": numbers["hard"], "soft s": numbers["soft"], "forward y": numbers["forward"],
            "upstream u = ∂f/∂y": numbers["upstream"], "autograd ∂f/∂θ": numbers["autograd"],
            "Jᵀu by hand": numbers["jacobian"]}
    columns = [f"k = {i + 1}" for i in range(len(numbers["hard"]))]
    return pd.DataFrame(np.round(np.stack(list(rows.values())), 4), index=list(rows), columns=columns)


def identity_view(logits: tuple[float, ...], tau: float, seed: int) -> None:
    st.latex(r"y = \operatorname{sg}(h - s) + s = h")
    st.latex(r"\frac{\partial f(y)}{\partial\theta} = J_s^{\top}\,\frac{\partial f}{\partial y},\ "
             r"J_s = \frac{\partial s}{\partial \theta}")
    numbers = estimators.straight_through_identity(CATEGORICAL, logits, tau, seed)
    st.table(identity_table(numbers))
    same = np.allclose(numbers["forward"], numbers["hard"]) and np.allclose(numbers["autograd"], numbers["jacobian"])
    st.caption(f"h = one_hot(argmax(θ + g)), s = softmax((θ + g)/τ), y = sg(h − s) + s, f(y) = ‖y − t‖² with "
               f"t = {CATEGORICAL.target}, u = 2(y − t), J = (diag(s) − s sᵀ)/τ. "
               + ("Forward equals hard; autograd equals Jᵀu." if same else "Mismatch: forward or backward differs."))
    hint("lower τ: soft moves towards hard, and the gradient grows like 1/τ, except when soft is already "
         "one-hot, where it vanishes.")


def bias_variance_view(logits: tuple[float, ...], tau: float) -> None:
    st.latex(r"\nabla_\theta\, \mathbb{E}_{k\sim\operatorname{softmax}(\theta)} f(e_k) = \sum_k f(e_k)\,"
             r"\frac{\partial p_k}{\partial\theta} = p \odot (f - p^{\top} f),\qquad f(y) = \lVert y - t\rVert^2")
    numbers = bias_variance_numbers(logits)
    chart(figures.bias_variance_figure(numbers, tau), width="stretch", key="gs_bias_variance")
    hint("follow Gumbel-softmax along τ. " + trend_sentence(numbers, "Gumbel-softmax"))
    reinforce = numbers["REINFORCE"]
    st.caption(" ".join([
        estimator_trends.flat_bias_sentence("REINFORCE", float(reinforce["bias"][0]), float(reinforce["stderr"][0])),
        "Straight-through backpropagates through softmax(θ/τ), at the same τ.",
        trend_sentence(numbers, "straight-through"), trend_sentence(numbers, "straight-through Gumbel")]))


def trend_sentence(numbers: dict, name: str) -> str:
    """What the chart shows of one τ-dependent estimator, from its curves (`explorer.maths.estimator_trends`)."""
    return estimator_trends.bias_sentence(name, estimator_trends.bias_trend(numbers["taus"], **numbers[name]))
