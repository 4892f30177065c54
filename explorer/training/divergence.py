"""When a training run counts as diverged, and the words that say so (issue 23, item 4).

A run diverges when its loss turns non-finite or grows by orders of magnitude. A loss that spikes to 1e16 nats
and comes back to 1e6 never turns NaN, yet every chart of the run is flattened by it and the model it left is
useless; so the trainer also stops on growth. Growth needs a scale, and the loss has none of its own: it is in
nats per sample, and its legitimate size spans orders of magnitude across models and knobs (measured, VAEs with a
2-D code: ~10 nats for a Bernoulli decoder on 4x4 toys, +5.1e5 for an untrained Gaussian decoder with σ = 0.01 on
MNIST, −2850 once that decoder has learnt a nearly noiseless data set), and on its way down it may cross zero.
`LossScale` measures that scale as the run goes; the Trainer compares each batch's loss with it.

Measured with this trainer (batch 64-128, 300-800 steps): healthy runs stay within 7x the reference (the worst,
6.65x, a Gaussian decoder with σ = 0.01 on 28x28 near-noiseless toys at lr 1e-2, its loss +1.7e6 at step 1 and
−2856 at the end; Bernoulli and Gaussian decoders, σ 0.01 to 0.05, losses crossing zero, lr 2e-3 to 0.1). Runs
that blow up exceed it 5e4x (MNIST, Bernoulli, lr 0.1: 546 → 2.8e7 nats) to 2.5e10x (MNIST, σ = 0.01, lr 0.1:
5.1e5 → 1.3e16) and 4e14x (toys, σ = 0.01, lr 10) at their second step, or 1e12x at the sixth (an HVAE on 8x8
digits, σ = 0.01, lr 0.1: 1.3e17). GROWTH_LIMIT = 1e3 sits 150x above the worst healthy run and 50x below the
mildest blow-up; tests/unit/test_divergence.py keeps some of these runs.
"""

from __future__ import annotations

import math

GROWTH_LIMIT = 1e3  # |loss| over this many times its usual size: diverged
GOOD_LIMIT = 10.0  # weights are kept as the last good ones only while |loss| is within this many times its usual size
SMOOTHING = 0.1  # weight of the newest |loss| in the running mean (~10 steps of memory)
FLOOR_NATS = 1.0  # the usual size never counts as less: a loss within ±1000 nats is never called diverged
HIGH_LR = 3e-3  # Adam's learning rates above this are high for the pages' models (their default is 2e-3)
DEFAULT_LR = 2e-3
SMALL_SIGMA = 0.1  # below the panels' default decoder σ, 1/(2σ²) scales the reconstruction term past 50


class LossScale:
    """The usual size of a run's loss: the smallest value that a running mean of |loss| has taken so far.

    Each choice keeps a healthy run from tripping, or lets a blow-up trip:
    - the smallest so far: a loss that starts large and falls (+1.7e6 at step 1 to −2850) lowers it as it falls,
      and a climb never drags it up (a running mean alone follows a geometric blow-up at a fixed ratio, ~1/SMOOTHING,
      and would never reach GROWTH_LIMIT);
    - of a running mean of |loss|, not of |loss| itself: a loss that crosses zero keeps the size of its batch-to-batch
      noise instead of one lucky batch at 0.01 nats, against which its ordinary noise would count as a blow-up;
    - of magnitudes: a loss of −2850 nats is large, not small, and falls to no lower reference than +2850 would;
    - floored at FLOOR_NATS: a loss that hovers about zero (moons, a well-fit σ) has no scale below a nat.
    """

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Forget the scale: the knobs changed, and with them the loss's legitimate size (σ 1 → 0.001 takes a
        trained 4x4 toy VAE's loss from 15 to 5.1e5 nats in one step)."""
        self.usual = math.inf
        self.previous: float | None = None  # the last loss that passed
        self._mean: float | None = None

    def growth(self, loss: float) -> float:
        """|loss| over its usual size (0 at the first step after a reset: nothing to compare with yet)."""
        return abs(loss) / max(self.usual, FLOOR_NATS)

    def update(self, loss: float) -> None:
        """Take in a loss that passed the check."""
        size = abs(loss)
        self._mean = size if self._mean is None else self._mean + SMOOTHING * (size - self._mean)
        self.usual = min(self.usual, self._mean)
        self.previous = loss


def readable(x: float) -> str:
    """A number as a lecture hall reads it: four significant digits, exponents without '+' or leading zeros
    (1.284e16, 5.095e5, 180, -2847, 0.002)."""
    mantissa, _, exponent = f"{x:.4g}".partition("e")
    return mantissa if not exponent else f"{mantissa}e{int(exponent)}"


def divergence_message(*, step: int, loss: float, previous: float | None, usual: float, restored_step: int,
                       lr: float, sigma: float | None = None, beta: float | None = None) -> str:
    """What the run's status says when it diverged: the step, what the loss did, which weights are back, and the
    likely cause with the knobs in force (learning rate, and decoder σ and β where the model has them).

    `previous` is the loss of the step before (None at a first step), `usual` the run's usual size
    (`LossScale.usual`); `sigma` is None unless the decoder is Gaussian, `beta` None unless the loss takes it."""
    if not math.isfinite(loss):
        what = f"the loss became {loss}"
        if previous is not None:
            what += f" (it was {readable(previous)} the step before)"
    else:
        start = "" if previous is None else f"from {readable(previous)} "
        what = (f"the loss jumped {start}to {readable(loss)} nats per sample, over {GROWTH_LIMIT:,.0f} times "
                f"its usual size so far ({readable(usual)})")
    restored = f"step {restored_step}" + (", the untrained model" if restored_step == 0 else "")
    return (f"Training diverged at step {step}: {what}. Stopped, and restored the last good weights ({restored}). "
            f"Likely cause: {likely_cause(lr, sigma, beta)}. Knobs in force: {knobs_in_force(lr, sigma, beta)}.")


def likely_cause(lr: float, sigma: float | None = None, beta: float | None = None) -> str:
    """The knobs that probably made a run diverge, in words, and what to try instead.

    Adam moves every weight by about the learning rate per step whatever the gradient's size, so a high rate
    throws the decoder's outputs far at the first steps; a small decoder σ multiplies the squared error by
    1/(2σ²), so the same move costs that many more nats; β = 0 leaves the codes unbounded by the prior."""
    causes = []
    if lr > HIGH_LR:
        causes.append(f"the learning rate {readable(lr)} is too high for this model "
                      f"(try {readable(min(DEFAULT_LR, lr / 10))})")
    if sigma is not None and sigma < SMALL_SIGMA:
        causes.append(f"with decoder σ = {sigma:g} the reconstruction term is scaled by 1/(2σ²) = "
                      f"{readable(1 / (2 * sigma**2))}, and its gradients with it (σ = {SMALL_SIGMA:g} gives "
                      f"{readable(1 / (2 * SMALL_SIGMA**2))})")
    if not causes:
        causes.append(f"a step too long for this loss: a lower learning rate than {readable(lr)} "
                      f"(try {readable(lr / 10)}) steadies it")
    if beta == 0:
        causes.append("with β = 0 no KL term holds the codes near the prior")
    return "; ".join(causes)


def knobs_in_force(lr: float, sigma: float | None = None, beta: float | None = None) -> str:
    """The knobs a diverged run was trained with, named as the panel's sliders name them."""
    named = [f"learning rate {readable(lr)}"]
    named += [] if sigma is None else [f"decoder σ = {sigma:g}"]
    named += [] if beta is None else [f"β = {beta:g}"]
    return ", ".join(named)
