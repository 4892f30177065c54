"""The ELBO page's sentences, computed from the numbers they describe, so a caption cannot say what its chart
does not show: IWAE-K against log p(x) within its standard error, the naive bound above the ELBO, the gap's two
parts, and the trend of the gap over training. Every number carries its unit, nats per image."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # only a type: this module (and the figures that print its numbers) needs no torch
    from explorer.analysis.elbo_report import Estimate

WITHIN_STDERRS = 2.0  # "within its error": a difference of at most 2 standard errors (~95% for a normal mean)
STEADY_FRACTION = 0.1  # a gap whose end is within 10% of its start "stays"; a larger change grows or shrinks
CREMER = ('Cremer, Li & Duvenaud 2018, "Inference suboptimality in variational autoencoders"')


def signed(value: float, digits: int = 2) -> str:
    """A number with a true minus sign (−, not the hyphen), as a projector shows it: −128.68."""
    return f"{value:.{digits}f}".replace("-", "−")


def nats(value: float, digits: int = 2) -> str:
    return f"{signed(value, digits)} nats"


def with_error(value: Estimate, digits: int = 2, unit: str = " nats") -> str:
    """"−128.65 ± 0.02 nats": a Monte-Carlo mean and its standard error (unit="" where a label names it)."""
    return f"{signed(value.mean, digits)} ± {value.stderr:.{digits}f}{unit}"


def iwae_note(k: int, iwae: Estimate, log_px: float) -> str:
    """IWAE-k against log p(x). The bound holds for the expectation, E[IWAE-k] ≤ log p(x) (Burda et al. 2016),
    not for a mean of R runs, which lies within its standard error s/√R of the expectation: a mean above
    log p(x) by at most WITHIN_STDERRS of them is noise, not a violation."""
    difference = iwae.mean - log_px
    stated = (f"IWAE-{k} = {with_error(iwae)} (mean of {iwae.repeats} runs of {k} draws ± its standard error) is "
              f"{nats(abs(difference))} {'above' if difference > 0 else 'below'} log p(x)")
    if abs(difference) <= WITHIN_STDERRS * iwae.stderr:
        return (f"{stated}: within {WITHIN_STDERRS:.0f} standard errors, so indistinguishable from log p(x) with "
                f"{iwae.repeats} runs. IWAE ≤ log p(x) holds for its expectation, not for every run or mean of runs.")
    if difference > 0:
        return (f"{stated}, by more than {WITHIN_STDERRS:.0f} standard errors: a rare draw (or an error estimate of "
                "log p(x) that was too small). Its expectation cannot exceed log p(x).")
    return f"{stated}. Raise K: the bound climbs towards log p(x) (Burda et al. 2016, theorem 1)."


def naive_note(naive: Estimate, elbo: float) -> str | None:
    """A note when the naive bound beats the ELBO by more than its error, else None. Both are lower bounds on
    log p(x), but neither bounds the other: the naive bound is the ELBO of q = p(z), which ignores x, and an
    encoder's q(z|x) can be further from p(z|x) than the prior is (MNIST's held-out image 424: −230 vs −285)."""
    if naive.mean - WITHIN_STDERRS * naive.stderr <= elbo:
        return None
    return (f"Here the naive bound ({with_error(naive)}) lies {nats(naive.mean - elbo)} above the ELBO "
            f"({nats(elbo)}). No theorem forbids it: the naive bound is the ELBO of the proposal p(z), which "
            "ignores x, and this encoder's q(z|x) is further from the true posterior than the prior is. Only "
            "ELBO ≤ IWAE-K ≤ log p(x) and naive ≤ log p(x) always hold.")


def split_note(gap: float, approximation: float, amortization: float, subject: str = "this input") -> str:
    """The gap's two parts in words (Cremer et al. 2018): which one dominates, and what each means; q* is
    fitted to `subject` alone ("this input", or "each image" for means over held-out images)."""
    larger = "amortization" if amortization >= approximation else "approximation"
    return (f"Of the gap of {nats(gap)}, {nats(approximation)} is the **approximation gap** (the best diagonal "
            f"Gaussian q*, fitted to {subject} alone, still misses the true posterior by that much) and "
            f"{nats(amortization)} the **amortization gap** (what the encoder, one network for every input, gives "
            f"up against q*). Here the {larger} gap dominates ({CREMER}).")


def gap_trend(gaps: list[float]) -> tuple[str, float]:
    """("grows" | "shrinks" | "stays", x) for a gap series: its last value against its first. Within
    STEADY_FRACTION of the larger of the two it "stays", and x is the half range (max − min) / 2 it stays
    within; otherwise x is the change, last − first, in nats."""
    first, last = gaps[0], gaps[-1]
    if abs(last - first) <= STEADY_FRACTION * max(abs(first), abs(last)):
        return "stays", (max(gaps) - min(gaps)) / 2
    return ("grows" if last > first else "shrinks"), last - first


def history_caption(history: dict[str, list]) -> str:
    """The caption of the gap-over-training chart, from the history it draws: held-out means per step of
    log p(x) and of the ELBO (`pretrain.heldout_gap`). Why a gap can grow while the model improves: a sharper
    decoder makes p(z|x) narrower and less Gaussian, harder for a Gaussian q to follow (Cremer et al. 2018)."""
    steps, log_px = history["step"], history["heldout_log_px"]
    gaps = [p - e for p, e in zip(log_px, history["heldout_elbo"], strict=True)]
    trend, amount = gap_trend(gaps)
    span = f"from {nats(gaps[0])} per image at step {steps[0]:,} to {nats(gaps[-1])} at step {steps[-1]:,}"
    if trend == "stays":
        middle = (max(gaps) + min(gaps)) / 2
        return (f"The shaded band is the mean gap KL(q ‖ p(z|x)) on the held-out images. It stays within "
                f"±{nats(amount)} of {nats(middle)} over training ({span}).")
    peak = max(range(len(gaps)), key=gaps.__getitem__)
    told = (f"The shaded band is the mean gap KL(q ‖ p(z|x)) on the held-out images. It {trend} {span} "
            f"(largest {nats(gaps[peak])} at step {steps[peak]:,}), while log p(x) goes from {nats(log_px[0])} "
            f"to {nats(log_px[-1])}.")
    if trend != "grows":
        return f"{told} The encoder learns to follow the posterior faster than the decoder reshapes it."
    return f"{told} A better model can have a larger gap. {growth_reason(history)}"


def growth_reason(history: dict[str, list]) -> str:
    """Why the gap grew, from the recorded split where there is one (`pretrain.heldout_gap`): the part whose
    mean grew more between the first and the last evaluation. Approximation: as the decoder sharpens, p(z|x)
    becomes narrower and less Gaussian, so no Gaussian q follows it (Cremer et al. 2018). Amortization: one
    encoder network for every image falls behind posteriors that the training decoder keeps moving."""
    approximation, amortization = history.get("heldout_approximation_gap"), history.get("heldout_amortization_gap")
    if not approximation or not amortization:
        return (f"As the decoder sharpens, p(z|x) becomes narrower and less Gaussian, harder for a Gaussian q(z|x) "
                f"to follow ({CREMER}).")
    parts = (f"On the images where it is split, the amortization part (the encoder's shortfall) goes from "
             f"{nats(amortization[0])} to {nats(amortization[-1])} and the approximation part (what no Gaussian q "
             f"could do better) from {nats(approximation[0])} to {nats(approximation[-1])}")
    if amortization[-1] - amortization[0] >= approximation[-1] - approximation[0]:
        return (f"{parts}: the growth is the encoder's. One network maps every image to its q, and it falls behind "
                f"posteriors that the sharpening decoder keeps moving ({CREMER}).")
    return (f"{parts}: the growth is the Gaussian family's. As the decoder sharpens, p(z|x) becomes narrower and "
            f"less Gaussian, and no Gaussian q follows it ({CREMER}).")
