"""What the bias curves of the "bias and variance against τ" chart say, in words computed from the curves.

A measured bias b = ‖mean − exact‖ over n samples is itself noisy: for an unbiased estimator, E b² = tr Cov / n
= s.e.², so b ≤ 2 s.e. is what an unbiased estimator shows by chance (the chart's bars and band). Read along
τ falling (the slider's direction from 10 to 0.01):
- a step from τ_a to the next lower τ_b is a rise when b_b − b_a > 2·√(s.e._a² + s.e._b²), the s.e. of the
  difference of two independent estimates (the curves share their Gumbel noise, which correlates neighbours
  positively, so this is conservative); steps where both ends are within noise are never rises;
- "within noise from τ*" means every measured bias at τ ≤ τ* is at most 2 s.e.: no bias is measurable there.
Hand-written sentences ("its bias falls") were wrong for the default logits, where Gumbel-softmax's bias rises
between τ = 1 and 0.5 and is noise below τ = 0.05; these are derived from the numbers the chart shows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

NOISE_BAND = 2.0  # standard errors: about 95% of an unbiased estimator's measured biases fall inside


@dataclass(frozen=True)
class BiasTrend:
    """One estimator's bias along τ falling: its ends, where it rises, and from which τ it is noise."""

    tau_high: float
    tau_low: float
    bias_high: float  # at the highest τ
    bias_low: float  # at the lowest τ
    rises: tuple[tuple[float, float], ...]  # (τ where a rise starts, lower τ where it ends), τ falling
    noise_from: float | None  # every bias at τ ≤ this is within NOISE_BAND s.e. of 0; None if not at the lowest τ
    variance_climbs: bool  # the per-sample variance grows at every step of τ falling

    @property
    def monotone(self) -> bool:
        return not self.rises


def _runs(steps: np.ndarray, taus: np.ndarray) -> tuple[tuple[float, float], ...]:
    """Merge consecutive True steps i (from taus[i] to taus[i + 1]) into (first τ, last τ) runs."""
    runs, start = [], None
    for i, rising in enumerate([*steps, False]):
        if rising and start is None:
            start = i
        elif not rising and start is not None:
            runs.append((float(taus[start]), float(taus[i])))
            start = None
    return tuple(runs)


def bias_trend(taus, bias, stderr, variance) -> BiasTrend:
    """The trend of one estimator's curves (arrays over `taus`, in any order) along τ falling."""
    order = np.argsort(np.asarray(taus))[::-1]
    t, b, se, v = (np.asarray(a, dtype=float)[order] for a in (taus, bias, stderr, variance))
    within = b <= NOISE_BAND * se
    step_noise = NOISE_BAND * np.hypot(se[1:], se[:-1])
    rises = (np.diff(b) > step_noise) & ~(within[1:] & within[:-1])
    noisy_tail = np.logical_and.accumulate(within[::-1])[::-1]  # True from some index to the end
    noise_from = float(t[noisy_tail.argmax()]) if noisy_tail[-1] else None
    return BiasTrend(float(t[0]), float(t[-1]), float(b[0]), float(b[-1]), _runs(rises, t), noise_from,
                     bool((np.diff(v) > 0).all()))


def _rise_words(rises: tuple[tuple[float, float], ...]) -> str:
    return " and ".join(f"between τ = {a:g} and {b:g}" for a, b in rises)


def bias_sentence(name: str, trend: BiasTrend) -> str:
    """Two or three sentences on a τ-dependent estimator: where its bias goes and whether monotonically, from
    which τ the measured bias is noise, and whether its variance climbs."""
    low = "noise" if trend.noise_from is not None else f"{trend.bias_low:.3f}"
    ends = f"from {trend.bias_high:.3f} to {low}"
    if trend.monotone:
        text = f"{name}'s bias falls at every step, {ends}."
    elif trend.noise_from is not None or trend.bias_low < trend.bias_high:
        text = f"{name}'s bias falls overall, {ends}, but not monotonically: it rises {_rise_words(trend.rises)}."
    else:
        text = f"{name}'s bias does not fall: it goes {ends} and rises {_rise_words(trend.rises)}."
    text = f"As τ falls from {trend.tau_high:g} to {trend.tau_low:g}, {text}"
    if trend.noise_from is not None:
        text += (f" At τ ≤ {trend.noise_from:g} the measured bias is within ±{NOISE_BAND:g} s.e. of 0: noise, "
                 "not a bias one can see.")
    return text + f" Its variance per sample {'climbs' if trend.variance_climbs else 'does not climb'} at every step."


def flat_bias_sentence(name: str, bias: float, stderr: float) -> str:
    """An estimator without a temperature (REINFORCE): is its measured bias inside the band ±2 s.e. around 0?
    The band is centred on 0, not on the measured bias, so that "inside" is a finding, not true by construction."""
    band = NOISE_BAND * stderr
    inside = bias <= band
    return (f"{name} has no τ: its measured bias {bias:.3f} is {'inside' if inside else 'outside'} the shaded band "
            f"around 0 (±{NOISE_BAND:g} s.e. = ±{band:.3f}), so "
            + ("no bias is measurable." if inside else "a bias is measured."))
