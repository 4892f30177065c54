"""The gradient-estimator pages in AppTest: they run clean alone, their sliders rerun them and change what is
shown, and the stop-gradient table forwards the hard one-hot code. Also a smoke run of the benchmark helper."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
import pytest
from apptest import assert_clean, open_page, open_tab
from streamlit.testing.v1 import AppTest

from explorer.maths import gumbel
from explorer.ui.declarations.reparameterization import ESTIMATES
from explorer.ui.declarations.straight_through import RELAXED

ROOT = Path(__file__).resolve().parents[2]


def run_page(name: str) -> AppTest:
    return open_page(name)


def chart(at: AppTest, key: str) -> dict:
    """The Plotly spec of the chart with this widget key."""
    specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart") if c.proto.id.endswith(f"-{key}")]
    assert len(specs) == 1, f"{len(specs)} charts with key {key}"
    return specs[0]


def array(values) -> np.ndarray:
    """A Plotly spec's array: a list, or a typed array {"dtype": ..., "bdata": base64} as Plotly ≥ 6 writes."""
    if isinstance(values, dict):
        flat = np.frombuffer(base64.b64decode(values["bdata"]), dtype=np.dtype(values["dtype"]))
        return flat.reshape(values["shape"]) if "shape" in values else flat
    return np.asarray(values)


def table(at: AppTest, row: str):
    """The first table that has a row with this label, as a DataFrame."""
    return next(t.value for t in at.table if row in t.value.index)


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


@pytest.fixture
def reparameterization() -> AppTest:
    return run_page("reparameterization.py")


@pytest.fixture
def straight_through() -> AppTest:
    return run_page("straight_through.py")


@pytest.fixture
def relaxed(straight_through) -> AppTest:
    """The straight-through page with its lazy second tab open."""
    return open_tab(straight_through, "st_tab", RELAXED)


def each_tab(at: AppTest, key: str) -> dict[str, tuple[int, set[str], int]]:
    """Open every lazy tab in turn: label -> (charts drawn, the LaTeX shown, "Try:" hints)."""
    seen = {}
    for label in [t.label for t in at.tabs]:
        open_tab(at, key, label)
        seen[label] = (len(at.get("plotly_chart")), {x.value for x in at.latex},
                       sum("Try:" in m.value for m in at.markdown))
    return seen


def test_reparameterization_page_shows_every_view_with_its_equation(reparameterization):
    at = reparameterization
    assert [t.label for t in at.tabs] == ["z = μ + σ·ε", ESTIMATES, "Variance and sample size"]
    seen = each_tab(at, "rep_tab")
    assert [charts for charts, _, _ in seen.values()] == [1, 1, 1]  # only the open tab is drawn
    assert len(set().union(*(latex for _, latex, _ in seen.values()))) >= 5
    assert [hints for _, _, hints in seen.values()] == [1, 1, 1]
    open_tab(at, "rep_tab", ESTIMATES)
    stats = table(at, "pathwise")
    assert list(stats.index) == ["pathwise", "score function", "score + baseline"]
    assert (stats["exact"] == -1.0).all()  # ∂/∂μ E(z − 1)² = 2(μ − 1) at μ = 0.5


def test_moving_mu_and_sigma_moves_the_same_eps(reparameterization):
    at = reparameterization
    before = chart(at, "rep_flow")["data"]
    at.slider(key="rep_mu").set_value(-1.0).run()
    at.slider(key="rep_sigma").set_value(1.5).run()
    assert_clean(at)
    after = chart(at, "rep_flow")["data"]
    eps_before, eps_after = (array(next(t for t in d if t["name"] == "ε")["x"]) for d in (before, after))
    z_after = array(next(t for t in after if t["name"] == "z")["x"])
    np.testing.assert_array_equal(eps_before, eps_after)  # the noise stays, z = μ + σε moves
    np.testing.assert_allclose(z_after, -1.0 + 1.5 * eps_after)
    at.button(key="rep_seed_button").click().run()
    eps_new = array(next(t for t in chart(at, "rep_flow")["data"] if t["name"] == "ε")["x"])
    assert not np.array_equal(eps_new, eps_after)  # New ε draws other noise


def test_the_step_objective_shows_a_zero_pathwise_gradient(reparameterization):
    at = reparameterization
    at.radio(key="rep_objective").set_value("step").run()
    at.radio(key="rep_param").set_value("σ").run()
    open_tab(at, "rep_tab", ESTIMATES)
    stats = table(at, "pathwise")
    assert stats.loc["pathwise", "mean"] == 0 and stats.loc["pathwise", "variance per sample"] == 0
    assert abs(stats.loc["score function", "mean"] - stats.loc["score function", "exact"]) < \
        4 * stats.loc["score function", "± standard error"]
    open_tab(at, "rep_tab", "Variance and sample size")  # the header's knobs hold across tabs
    assert "∂E f/∂σ" in chart(at, "rep_variance")["layout"]["title"]["text"]


def test_straight_through_page_runs_with_both_tabs(straight_through):
    at = straight_through
    assert [t.label for t in at.tabs] == ["Gumbel-max sampling", RELAXED]
    assert 0 <= float(metric(at, "p-value of X²")) <= 1
    seen = each_tab(at, "st_tab")
    assert [charts for charts, _, _ in seen.values()] == [2, 2]  # only the open tab is drawn
    assert sum(hints for _, _, hints in seen.values()) == 4
    assert len(set().union(*(latex for _, latex, _ in seen.values()))) >= 5


def test_logit_and_sample_sliders_change_the_chi_square_test(straight_through):
    at = straight_through
    p_value, statistic = metric(at, "p-value of X²"), metric(at, "χ² statistic")
    at.slider(key="gm_logit_0").set_value(2.5).run()
    assert_clean(at)
    assert (metric(at, "p-value of X²"), metric(at, "χ² statistic")) != (p_value, statistic)
    at.select_slider(key="gm_k").set_value(5).run()
    at.select_slider(key="gm_n").set_value(100_000).run()
    assert_clean(at)
    bars = chart(at, "gm_bars")
    assert len(array(bars["data"][0]["x"])) == 5 and "100,000 Gumbel-max samples" in bars["layout"]["title"]["text"]
    assert metric(at, "samples") == "100,000"


def test_the_p_value_says_how_it_was_computed(straight_through):
    """Issue 20, item 5: extreme θ and 30 samples leave expected counts of 0.07, where the χ² law's p-value
    rejected a true p in 28% of runs; the page computes it by Monte Carlo there, and says so."""
    at = straight_through

    def gumbel_max_captions() -> list[str]:
        return [c.value for c in at.caption if c.value.startswith("p-value by")]

    assert gumbel_max_captions() == [f"p-value by the {gumbel.CHI_SQUARE_METHOD}: every expected count n·p_k is "
                                     "at least 5."]
    at.select_slider(key="gm_k").set_value(5).run()
    for i, theta in enumerate((3.0, -3.0, -3.0, -3.0, -3.0)):
        at.slider(key=f"gm_logit_{i}").set_value(theta).run()
    at.select_slider(key="gm_n").set_value(30).run()
    assert_clean(at)
    (caption,) = gumbel_max_captions()
    assert caption.startswith(f"p-value by {gumbel.MONTE_CARLO_METHOD}: an expected count n·p_k is below 5")


def test_the_bias_words_are_what_the_chart_shows(relaxed):
    """Issue 20, item 4: the hint said "its bias falls and its variance climbs" and REINFORCE "stays in its
    band" (a band centred on its own bias). The words now come from the curves on the chart."""
    at = relaxed
    texts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    hint = next(t for t in texts if "follow Gumbel-softmax" in t)
    assert "its bias falls and its variance climbs" not in hint
    assert "falls overall, from 0.252 to noise, but not monotonically: it rises between τ = 1 and 0.5" in hint
    caption = next(t for t in texts if t.startswith("REINFORCE has no τ"))
    assert "is inside the shaded band around 0" in caption and "straight-through's bias" in caption
    at.slider(key="gs_logit_0").set_value(2.0).run()  # other logits, other curves, other words
    assert_clean(at)
    assert next(m.value for m in at.markdown if "follow Gumbel-softmax" in m.value) != hint


def test_tau_slider_moves_the_relaxed_samples_to_the_corners_or_the_centre(relaxed):
    at = relaxed

    def samples() -> np.ndarray:
        traces = [t for t in chart(at, "gs_simplex")["data"] if t["name"].startswith("argmax")]
        return np.concatenate([np.stack([array(t[c]) for c in "abc"], 1) for t in traces])

    at.select_slider(key="gs_tau").set_value(0.01).run()
    assert_clean(at)
    assert (samples().max(1) > 0.99).mean() > 0.9
    assert "τ = 0.01 ringed" in chart(at, "gs_bias_variance")["layout"]["title"]["text"]
    at.select_slider(key="gs_tau").set_value(10.0).run()
    assert (np.abs(samples() - 1 / 3).max(1) < 0.25).mean() > 0.9
    at.slider(key="gs_logit_2").set_value(2.0).run()
    assert_clean(at)


def test_the_identity_table_forwards_the_hard_one_hot_and_backpropagates_the_jacobian(relaxed):
    at = relaxed
    for tau in (0.05, 2.0):
        at.select_slider(key="gs_tau").set_value(tau).run()
        at.button(key="sg_seed_button").click().run()
        assert_clean(at)
        identity = table(at, "forward y")
        hard = identity.loc["hard h"].to_numpy()
        assert sorted(hard) == [0.0, 0.0, 1.0]  # a one-hot code
        np.testing.assert_array_equal(identity.loc["forward y"].to_numpy(), hard)
        np.testing.assert_allclose(identity.loc["autograd ∂f/∂θ"], identity.loc["Jᵀu by hand"], atol=1e-4)
        if tau > 1:  # soft is far from hard: the forward value is hard's, not soft's
            assert np.abs(identity.loc["soft s"].to_numpy() - hard).max() > 0.2


def test_the_bench_helper_times_every_chart_with_the_pages_settings():
    from explorer.bench import estimators as bench
    from explorer.ui.views import estimators as views

    for name in ("N_SAMPLES", "FLOW_SHOWN", "FLOW_RANGE", "TAUS", "SAMPLE_SIZES", "SIMPLEX_SHOWN"):
        assert getattr(bench, name) == getattr(views, name), name
    timings = bench.estimator_chart_latency(repeats=1)
    assert set(timings) == {"reparam_flow_ms", "reparam_histograms_ms", "reparam_variance_ms", "gumbel_max_ms",
                            "gumbel_simplex_ms", "bias_variance_ms", "sg_identity_ms"}
    assert all(value > 0 for value in timings.values())
