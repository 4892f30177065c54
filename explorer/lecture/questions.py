"""Predict, then reveal (issue 24, item 3): the lecture's questions, each on the page and tab where it belongs,
and its true answer computed from the page's own functions and shipped models (`explorer.analysis.class_truths`).

A question declares its kind and spec for the room's backend (`explorer.classroom.questions`): a choice's
options, a slider's range, bins and unit, a point's box. `truth()` measures (memoised per process: the first call
may take seconds, the VQ-VAE one ~15 s, so the app starts it when the question is asked) and returns a `Truth`: the
value the room stores (an option's index, a number clamped to the slider's range, a point inside the box), that
value in words with its unit, and how it was computed, Monte-Carlo errors included.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from explorer.analysis import class_truths

AE_MAP_MODEL, VAE_MAP_MODEL = "mnist-ae-2d", "mnist-vae-2d"  # the latent-space page's default dataset: MNIST
GAP_MODEL, GAP_IMAGE = "mnist-vae-2d", 0  # the ELBO page's default model and held-out image
BETA_MODEL, BETA = "sprites-vae-b4", 4.0  # the β page's default dataset (sprites) and its shipped β = 4 VAE
VQ_DATASET, VQ_CODES, VQ_STEPS = "mnist", 512, 200  # the "Codebook collapse" preset; 200 steps: its teaching point
GUMBEL_LOGITS = (1.0, 0.0, -0.5)  # the simplex view's default θ
TAU_OPTIONS = (0.05, 0.2, 0.5, 1.0, 2.0, 5.0)
ONE_HOT = 0.9  # "nearly one-hot": the sample's largest entry is at least this, on average
MAP_OPTIONS = ("Spread over the codes, like the VAE's", "In a small patch in the middle of the map",
               "Mostly beyond every code")
SMALL_PATCH = 0.25  # the prior's 3σ disc covering less than this share of the map's box is "a small patch"


@dataclass(frozen=True)
class Truth:
    value: int | float | list[float]  # what the room stores: an option's index, a number, a point [x, y]
    label: str  # the value in words, with its unit
    how: str  # how it was computed


@dataclass(frozen=True)
class Question:
    id: str
    page: str  # the page's stem
    tab: str  # the tab's label ("main": the page's only view)
    prompt: str
    kind: str  # choice, slider or point
    compute: Callable[[Question], Truth] = field(repr=False, compare=False)
    unit: str = ""
    options: tuple[str, ...] = ()  # choice
    low: float = 0.0  # slider
    high: float = 1.0
    bins: int = 20
    step: float = 0.0  # the answer slider's step (0: a hundredth of the range)
    box: tuple[float, float, float, float] = (-4.0, 4.0, -4.0, 4.0)  # point: x0, x1, y0, y1

    def spec(self) -> dict:
        """The spec the room's backend checks answers against."""
        if self.kind == "choice":
            return {"prompt": self.prompt, "options": list(self.options)}
        if self.kind == "slider":
            return {"prompt": self.prompt, "low": self.low, "high": self.high, "bins": self.bins}
        return {"prompt": self.prompt, "x": list(self.box[:2]), "y": list(self.box[2:])}

    def truth(self) -> Truth:
        return self.compute(self)

    def label(self, value: int | float | list[float]) -> str:
        """An answer or the truth in words, with the unit."""
        if self.kind == "choice":
            return self.options[int(value)]
        if self.kind == "slider":
            return f"{value:.3g} {self.unit}".strip()
        return f"({value[0]:.2f}, {value[1]:.2f})"

    def slider_step(self) -> float:
        return self.step or (self.high - self.low) / 100

    def clamped(self, value: float) -> float:
        return min(max(value, self.low), self.high)


def prior_on_ae_map(question: Question, model_name: str = AE_MAP_MODEL) -> Truth:
    found = class_truths.prior_on_map(model_name)
    index = 2 if found["beyond"] > 0.5 else 1 if found["disc_share"] < SMALL_PATCH else 0
    how = (f"The disc |z| ≤ 3, where 98.9 % of N(0, I)'s samples land, covers {100 * found['disc_share']:.1f} % of the "
           f"map's box (the codes of {found['codes']:,} held-out images); {100 * found['beyond']:.1f} ± "
           f"{100 * found['beyond_error']:.1f} % of {found['samples']:,} prior samples lie farther from every code "
           f"than 3× the codes' median spacing ({found['spacing']:.2f}). Rule: over half beyond → 'beyond'; a disc "
           f"under {SMALL_PATCH:.0%} of the box → 'a small patch'; else 'spread over'.")
    return Truth(index, question.options[index], how)


def gap_for_image(question: Question) -> Truth:
    found = class_truths.gap_of_heldout(GAP_MODEL, GAP_IMAGE)
    how = (f"log p(x) − ELBO for held-out image {GAP_IMAGE} under {GAP_MODEL}, binarised: log p(x) = "
           f"{found['log_px']:.2f} nats by adaptive quadrature (error estimate {found['error_estimate']:.1e}), the "
           f"ELBO {found['elbo']:.2f} nats by quadrature over q; KL(q ‖ p(z|x)) on the grid "
           f"{found['kl_to_posterior']:.3f} nats. Computed, not sampled.")
    return Truth(question.clamped(found["gap"]), f"{found['gap']:.2f} nats", how)


def rate_at_beta(question: Question) -> Truth:
    found = class_truths.rate_of_pretrained(BETA_MODEL)
    how = (f"Rate R = E_x KL(q(z|x) ‖ p(z)) of the shipped {BETA_MODEL}, in closed form per image, averaged over "
           f"{found['images']:,} held-out sprites; {found['active_units']} of its {found['units']} units stay active.")
    return Truth(question.clamped(found["rate"]), f"{found['rate']:.2f} nats per image", how)


def codes_alive(question: Question) -> Truth:
    found = class_truths.alive_codes(VQ_DATASET, VQ_CODES, VQ_STEPS)
    how = (f"The page's 'Codebook collapse' run replayed (K = {VQ_CODES}, no EMA, k-means init or resets, seed 0, "
           f"{found['steps']} steps on {found['dataset']}): codes used by {found['images']} held-out images; their "
           f"perplexity {found['perplexity']:.1f}. One run: another seed, or another machine's arithmetic, moves it.")
    return Truth(question.clamped(found["alive"]), f"{found['alive']} of {VQ_CODES} codes", how)


def one_hot_tau(question: Question) -> Truth:
    found = class_truths.largest_softmax_entry(GUMBEL_LOGITS, TAU_OPTIONS)
    index = max((i for i, mean in enumerate(found["mean"]) if mean >= ONE_HOT), default=0)
    means = ", ".join(f"τ = {tau:g}: {mean:.3f} ± {error:.3f}"
                      for tau, mean, error in zip(found["taus"], found["mean"], found["error"], strict=True))
    how = (f"Mean largest entry of {found['samples']:,} Gumbel-softmax samples (θ = {GUMBEL_LOGITS}, the same noise "
           f"for every τ, ± the standard error): {means}. The truth: the largest τ at {ONE_HOT:g} or more.")
    return Truth(index, question.options[index], how)


def blank_code(question: Question) -> Truth:
    z = class_truths.blank_image_code(VAE_MAP_MODEL)
    x0, x1, y0, y1 = question.box
    point = [min(max(z[0], x0), x1), min(max(z[1], y0), y1)]
    how = f"q's mean for an all-black image under {VAE_MAP_MODEL}: z = ({z[0]:.2f}, {z[1]:.2f}), no sampling."
    return Truth(point, f"({z[0]:.2f}, {z[1]:.2f})", how)


QUESTIONS = (
    Question("ae_prior_map", "latent_space", "AE vs VAE", "Samples z ~ N(0, I) dropped on the AE's latent map "
             "(MNIST): where do they land?", "choice", prior_on_ae_map, options=MAP_OPTIONS),
    Question("vae_blank_code", "latent_space", "AE vs VAE", "Where does the VAE (MNIST) put an all-black image? "
             "Click its code z = (z₁, z₂).", "point", blank_code),
    Question("gap_nats", "elbo_gap", "main", f"How large is the gap KL(q ‖ p(z|x)) for held-out image {GAP_IMAGE}, "
             "in nats?", "slider", gap_for_image, unit="nats", low=0.0, high=5.0, bins=20, step=0.05),
    Question("beta4_rate", "beta_sigma", "Rate–distortion sweep", "The sprites VAE trained at β = 4: how many nats of "
             "KL per image (the rate R) does it keep?", "slider", rate_at_beta, unit="nats per image", low=0.0,
             high=20.0, bins=20),
    Question("k512_alive", "vq_vae", "Train your own", f"K = {VQ_CODES}, no k-means init, no resets: after "
             f"{VQ_STEPS} steps, how many codes do held-out images use?", "slider", codes_alive, unit="codes",
             low=0.0, high=float(VQ_CODES), bins=64, step=1.0),
    Question("tau_one_hot", "straight_through", "Gumbel-softmax and straight-through", "Up to which temperature τ "
             f"are Gumbel-softmax samples nearly one-hot (largest entry ≥ {ONE_HOT:g} on average)?", "choice",
             one_hot_tau, options=tuple(f"τ = {tau:g}" for tau in TAU_OPTIONS)),
)
BY_ID = {question.id: question for question in QUESTIONS}


def for_page(page: str) -> tuple[Question, ...]:
    """Every question, those of `page` (a stem) first."""
    return tuple(sorted(QUESTIONS, key=lambda question: question.page != page))
