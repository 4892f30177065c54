"""Server time of the gradient-estimator pages' charts (issue 5's target: < 200 ms per slider move with
10,000 samples).

Each chart is timed as the page recomputes it after a slider move on a cold cache: the numbers (the functions
the views cache with `st.cache_data`), the figure, and Plotly's JSON serialization that `st.plotly_chart`
performs before sending (`plotly.io.to_json(fig, validate=False)`). Every repeat uses new slider values, as a
lecturer dragging a slider would. No Streamlit import: the view constants are repeated here and checked
against the views by the tests.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import plotly.io

from explorer.figures import estimators as figures
from explorer.maths import estimators, gumbel
from explorer.maths.estimators import CategoricalObjective, GaussianObjective

N_SAMPLES = 10_000
FLOW_SHOWN = 40
TAUS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0)
SAMPLE_SIZES = (10, 30, 100, 300, 1000, 3000, 10_000, 30_000, 100_000)
SIMPLEX_SHOWN = 1500
FLOW_RANGE = (-9.0, 9.0)


def _median_ms(chart: Callable[[int], tuple], repeats: int) -> float:
    """Median milliseconds of chart(i), its figures serialized, for i = 1..repeats (after a warm-up, i = 0)."""
    times = []
    for i in range(repeats + 1):
        started = time.perf_counter()
        for fig in chart(i):
            plotly.io.to_json(fig, validate=False)
        times.append((time.perf_counter() - started) * 1e3)
    return round(statistics.median(times[1:]), 1)


def _flow(i: int):
    mu, sigma = -1.0 + 0.1 * (i % 20), 0.5 + 0.05 * (i % 20)
    eps = estimators.standard_normal(FLOW_SHOWN, i).numpy()
    return (figures.reparameterization_figure(eps, estimators.reparameterize(mu, sigma, eps), mu, sigma, FLOW_RANGE),)


def _histograms(i: int):
    mu, sigma = -1.0 + 0.1 * (i % 20), 0.5 + 0.05 * (i % 20)
    numbers = estimators.gaussian_report(GaussianObjective("square"), mu, sigma, N_SAMPLES, seed=0)
    samples = {name: values[:, 0] for name, values in numbers["samples"].items()}
    return (figures.gradient_histograms(samples, float(numbers["exact"][0]), "histograms"),)


def _variance(i: int):
    mu, sigma = -1.0 + 0.1 * (i % 20), 0.5 + 0.05 * (i % 20)
    numbers = estimators.variance_by_sample_size(GaussianObjective("square"), mu, sigma)
    measured = {name: values[:, 0] for name, values in numbers["measured"].items()}
    per_sample = {name: float(values[0]) for name, values in numbers["per_sample"].items()}
    return (figures.variance_figure(numbers["sizes"], measured, per_sample, "variance"),)


def _logits(i: int, k: int) -> tuple[float, ...]:
    return tuple(round(0.1 * ((i + 3 * j) % 20) - 1.0, 1) for j in range(k))


def _gumbel_max(i: int):
    numbers = gumbel.gumbel_max_report(_logits(i, 5), SAMPLE_SIZES, seed=0)
    return (figures.gumbel_max_figure(numbers["probs"], numbers["counts"][4]),
            figures.convergence_figure(numbers["sizes"], numbers["tv"], SAMPLE_SIZES[4]))


def _simplex(i: int):
    numbers = gumbel.simplex_report(_logits(i, 3), TAUS[i % len(TAUS)], SIMPLEX_SHOWN)
    return (figures.simplex_figure(numbers["samples"], numbers["probs"], numbers["mean"], numbers["category"],
                                   numbers["tau"]),)


def _bias_variance(i: int):
    numbers = estimators.bias_variance_report(CategoricalObjective(), _logits(i, 3), TAUS, N_SAMPLES)
    return (figures.bias_variance_figure(numbers, TAUS[i % len(TAUS)]),)


def _identity(i: int):
    estimators.straight_through_identity(CategoricalObjective(), _logits(i, 3), TAUS[i % len(TAUS)], seed=i)
    return ()  # a table, no figure


def estimator_chart_latency(repeats: int) -> dict:
    """Median server milliseconds per chart of the "Reparameterization" and "Straight-through and Gumbel"
    pages at 10,000 samples (the Gumbel-max stream holds 100,000), over `repeats` new slider settings.
    Both Gumbel-max figures count in one entry; the identity is a table, numbers only."""
    charts = {"reparam_flow_ms": _flow, "reparam_histograms_ms": _histograms, "reparam_variance_ms": _variance,
              "gumbel_max_ms": _gumbel_max, "gumbel_simplex_ms": _simplex, "bias_variance_ms": _bias_variance,
              "sg_identity_ms": _identity}
    return {name: _median_ms(chart, repeats) for name, chart in charts.items()}
