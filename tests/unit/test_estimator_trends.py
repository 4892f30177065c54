"""Issue 20, item 4: the words under the bias-and-variance chart are computed from its curves
(`explorer.maths.estimator_trends`), and REINFORCE's band is centred on 0, so that "inside the band" is a finding."""

from __future__ import annotations

import numpy as np
import pytest

from explorer.figures.estimators import bias_variance_figure
from explorer.maths import estimators as est
from explorer.maths.estimator_trends import NOISE_BAND, bias_sentence, bias_trend, flat_bias_sentence
from explorer.ui.views.estimators import N_SAMPLES, TAUS

PAGE_LOGITS = (1.0, 0.0, -0.5)  # the relaxed tab's default θ sliders


@pytest.fixture(scope="module")
def page_report() -> dict:
    """What the page measures for its default logits (`estimator_views.bias_variance_numbers`)."""
    return est.bias_variance_report(est.CategoricalObjective(), PAGE_LOGITS, TAUS, N_SAMPLES)


def test_gumbel_softmax_bias_falls_overall_but_not_monotonically_and_ends_in_noise(page_report):
    numbers = page_report["Gumbel-softmax"]
    trend = bias_trend(page_report["taus"], **numbers)
    assert not trend.monotone and (1.0, 0.5) in trend.rises  # the old hint said "its bias falls"
    tau, bias, stderr = page_report["taus"], numbers["bias"], numbers["stderr"]
    assert bias[tau == 0.5] - bias[tau == 1.0] > NOISE_BAND * np.hypot(stderr[tau == 0.5], stderr[tau == 1.0])
    assert trend.noise_from is not None and trend.noise_from <= 0.1  # the issue measured ≈ 0.05
    assert (bias[tau <= trend.noise_from] <= NOISE_BAND * stderr[tau <= trend.noise_from]).all()
    above = tau[tau > trend.noise_from].min()
    assert bias[tau == above] > NOISE_BAND * stderr[tau == above]  # the noisy tail starts exactly there
    assert trend.bias_high > 100 * stderr[tau == 10.0] and trend.variance_climbs
    sentence = bias_sentence("Gumbel-softmax", trend)
    assert "falls overall, from 0.252 to noise, but not monotonically: it rises between τ = 1 and 0.5" in sentence
    assert f"At τ ≤ {trend.noise_from:g} the measured bias is within ±2 s.e. of 0" in sentence
    assert "variance per sample climbs at every step" in sentence


def test_a_monotone_curve_and_noise_that_wiggles_are_told_apart():
    taus = np.array([10.0, 1.0, 0.1, 0.01])
    falling = bias_trend(taus, bias=[0.5, 0.3, 0.1, 0.02], stderr=[0.01] * 4, variance=[1, 2, 3, 4])
    assert falling.monotone and falling.noise_from == 0.01 and falling.variance_climbs
    assert bias_sentence("X", falling).startswith("As τ falls from 10 to 0.01, X's bias falls at every step")
    wiggle = bias_trend(taus, bias=[0.5, 0.3, 0.01, 0.03], stderr=[0.01, 0.01, 0.02, 0.02], variance=[1, 2, 3, 2])
    assert wiggle.monotone and wiggle.noise_from == 0.1  # 0.01 → 0.03 is inside the noise: no rise
    assert "does not climb" in bias_sentence("X", wiggle)
    # given in rising τ: read along τ falling, 0.2, 0.1, then up to 0.3 and 0.4
    rising = bias_trend(taus[::-1], bias=[0.4, 0.3, 0.1, 0.2], stderr=[0.01] * 4, variance=[4, 3, 2, 1])
    assert rising.rises == ((1.0, 0.01),) and rising.noise_from is None and rising.bias_low == 0.4
    assert "does not fall: it goes from 0.200 to 0.400 and rises between τ = 1 and 0.01" in bias_sentence("X", rising)


def test_reinforce_is_inside_a_band_around_zero_only_when_its_bias_is_small():
    assert "0.010 is inside the shaded band around 0 (±2 s.e. = ±0.012), so no bias" in flat_bias_sentence(
        "REINFORCE", 0.0097, 0.0062)
    assert "is outside the shaded band around 0 (±2 s.e. = ±0.012), so a bias is measured" in flat_bias_sentence(
        "REINFORCE", 0.05, 0.0062)


def test_reinforce_band_on_the_chart_is_centred_on_zero(page_report):
    fig = bias_variance_figure(page_report, current_tau=0.5)
    band = [t for t in fig.data if t.name == "REINFORCE ±2 s.e."]
    spread = 2 * page_report["REINFORCE"]["stderr"]
    assert len(band) == 2 and band[1].fill == "tonexty"
    np.testing.assert_allclose(band[0].y, spread)
    np.testing.assert_allclose(band[1].y, -spread)
    line = next(t for t in fig.data if t.name == "REINFORCE")
    assert line.y[0] < band[0].y[0]  # its measured bias lies inside: the finding the caption reports


def test_straight_through_is_a_curve_in_tau_and_the_variance_axis_stays_readable(page_report):
    fig = bias_variance_figure(page_report, current_tau=0.5)
    ste = next(t for t in fig.data if t.name == "straight-through")
    assert ste.line.dash == "solid" and len(set(np.round(ste.y, 6))) > 3
    low, high = fig.layout.yaxis.range
    assert high - low < 8  # decades: straight-through's variance at τ = 0.01 (1e-83) does not squash the others
