"""AppTest of the "VAE as EM" page alone: half-steps grow the bound chart, k-means, Run, Reset, own points."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
import pytest
from apptest import assert_clean, open_page
from streamlit.testing.v1 import AppTest

PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "vae_em.py")


def run_page(timeout: float = 180) -> AppTest:
    return open_page(PAGE, timeout)


def charts(at: AppTest) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def values(encoded) -> list:
    """A trace's array as a list: plotly writes numpy arrays as base64 ("bdata") with their dtype."""
    if isinstance(encoded, dict):
        return np.frombuffer(base64.b64decode(encoded["bdata"]), dtype=encoded["dtype"]).tolist()
    return list(encoded)


def bound_chart(at: AppTest) -> dict[str, tuple[list, list]]:
    """The half-step chart's traces, by name: x labels and y values."""
    spec = next(s for s in charts(at) if s["layout"]["xaxis"].get("title", {}).get("text") == "half-step")
    return {t["name"]: (values(t.get("x", [])), values(t.get("y", []))) for t in spec["data"]}


def trace_names(at: AppTest) -> list[str]:
    return [t.get("name", "") for s in charts(at) for t in s["data"]]


def click(at: AppTest, key: str) -> AppTest:
    at.button(key=key).click().run()
    assert_clean(at)
    return at


def test_page_runs_clean_and_starts_at_theta_zero():
    at = run_page()
    assert at.title[0].value == "VAE as EM"
    assert len(at.latex) >= 4  # the model, E-step, M-step, ELBO
    assert "em_bound" not in [c.key for c in at.get("plotly_chart")]  # no half-step yet: a hint, no empty chart
    assert any("Press **Step E**" in i.value for i in at.info)
    assert at.button(key="em_step_e").disabled is False and at.button(key="em_step_m").disabled is True
    assert any("θ₀" in s["layout"]["title"]["text"] for s in charts(at))


def test_step_e_then_step_m_grows_the_half_step_chart():
    at = run_page()
    click(at, "em_step_e")
    log_px, elbo = bound_chart(at)["log p(x | θ)"], bound_chart(at)["ELBO(q, θ)"]
    assert log_px[0] == ["E1"] and elbo[1] == pytest.approx(log_px[1], abs=1e-9)  # the bound touches
    assert at.button(key="em_step_e").disabled and not at.button(key="em_step_m").disabled
    click(at, "em_step_m")
    log_px, elbo = bound_chart(at)["log p(x | θ)"], bound_chart(at)["ELBO(q, θ)"]
    assert log_px[0] == ["E1", "M1"]
    assert elbo[1][1] > elbo[1][0] and log_px[1][1] >= elbo[1][1]  # the bound rose, and stays below
    assert any("After M1" in s["layout"]["title"]["text"] for s in charts(at))
    assert [m.label for m in at.metric] == ["log p(x) per point", "ELBO per point", "gap KL(q ‖ p(z|x)) per point"]
    assert all(m.value.endswith(" nats") for m in at.metric)


def test_the_gap_after_an_e_step_reads_zero_where_rounding_made_it_negative():
    """Issue 20, item 7: on the default run, log p(x) − ELBO after E15 is −3.8e-16 per point (rounding); the
    page printed "KL(q ‖ p(z|x)) = -3.8e-16". It shows 0, in the metric and on the chart."""
    at = run_page()
    for _ in range(14):
        click(at, "em_step_e")
        click(at, "em_step_m")
    click(at, "em_step_e")
    last = at.session_state["em_state"].history[-1]
    assert last.label == "E15" and last.log_likelihood - last.elbo < 0  # the rounding is there
    assert at.metric[2].value == "0 nats"
    spec = next(s for s in charts(at) if s["layout"]["xaxis"].get("title", {}).get("text") == "half-step")
    notes = [a["text"] for a in spec["layout"]["annotations"] if "gap after" in a["text"]]
    assert notes == ["gap after E15:<br>KL(q ‖ p(z|x)) = 0 nats per point"]


def test_kmeans_toggle_gives_hard_clusters_and_centres():
    at = run_page()
    at.toggle(key="em_kmeans").set_value(True).run()
    assert_clean(at)
    assert at.radio(key="em_cov").disabled
    click(at, "em_step_e")
    state = at.session_state["em_state"]
    assert state.kmeans and set(np.unique(state.resp)) == {0.0, 1.0}
    assert {"centre 1", "centre 2", "centre 3"} <= set(trace_names(at)) and "μ1" not in trace_names(at)
    assert any("k-means" in s["layout"]["title"]["text"] for s in charts(at))
    at.toggle(key="em_kmeans").set_value(False).run()  # back to soft EM: a new run
    assert_clean(at)
    assert not at.session_state["em_state"].kmeans and at.session_state["em_state"].history == ()


def test_run_converges_and_log_likelihood_never_drops():
    at = run_page()
    at.radio(key="em_cov").set_value("diag").run()
    for _ in range(20):
        click(at, "em_run")
        if at.success:
            break
    assert at.success and "Converged after" in at.success[0].value
    assert at.session_state["em_state"].converged and at.button(key="em_run").disabled
    labels, log_px = bound_chart(at)["log p(x | θ)"]
    assert labels[:4] == ["E1", "M1", "E2", "M2"] and labels[-1].startswith("M")
    assert np.diff(log_px).min() >= -1e-9


def test_reset_clears_the_run():
    at = run_page()
    click(at, "em_step_e")
    click(at, "em_step_m")
    click(at, "em_reset")
    assert at.session_state["em_state"].history == ()
    assert "em_bound" not in [c.key for c in at.get("plotly_chart")] and not at.metric


def test_a_new_k_or_dataset_starts_a_new_run():
    at = run_page()
    click(at, "em_step_e")
    at.slider(key="em_k").set_value(5).run()
    assert_clean(at)
    assert at.session_state["em_state"].mixture.k == 5 and at.session_state["em_state"].history == ()
    at.selectbox(key="em_data").set_value("pinwheel").run()
    assert_clean(at)
    click(at, "em_step_e")
    assert at.session_state["em_state"].x.shape == (300, 2)


def test_own_points_are_fitted_and_cleared():
    at = run_page()
    at.selectbox(key="em_data").set_value("own").run()
    assert_clean(at)
    assert "at least K = 3" in " ".join(c.value for c in at.caption)
    assert at.button(key="em_step_e").disabled
    at.session_state["em_points"] = [(-2.0, -2.0), (-1.8, -2.1), (2.0, 2.0), (2.1, 1.9), (0.0, 2.0), (0.2, 2.2)]
    at.run()
    assert_clean(at)
    assert any(t == "click grid" for t in trace_names(at))  # the whole plane is clickable
    click(at, "em_step_e")
    click(at, "em_step_m")
    assert at.session_state["em_state"].x.shape == (6, 2) and len(bound_chart(at)["ELBO(q, θ)"][0]) == 2
    click(at, "em_clear")
    assert at.session_state["em_points"] == [] and "em_state" not in at.session_state
