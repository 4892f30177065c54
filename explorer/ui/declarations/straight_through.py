"""The Straight-through and Gumbel page: Gumbel-max sampling, the Gumbel-softmax relaxation, straight-through
gradients."""

from __future__ import annotations

import streamlit as st

from explorer.maths import estimators, gumbel
from explorer.ui.declarations.shared import SEED, logit_knobs, logit_sliders
from explorer.ui.declare import PageSpec, TabSpec, markdown
from explorer.ui.state import Choice, Range
from explorer.ui.views import estimators as views

INTRO = (markdown("A categorical sample k ~ softmax(θ) has no pathwise gradient: a small change of θ either "
                  "changes k or not. **Gumbel-max** writes the sample as an argmax of noisy logits; "
                  "**Gumbel-softmax** (Jang et al. 2017; Maddison et al. 2017) replaces the argmax by a softmax "
                  "at temperature τ, and the **straight-through** estimator (Bengio et al. 2013) uses the hard "
                  "sample forward and the soft one backward. Both are biased; REINFORCE (Williams 1992) is not, "
                  "but it is noisy."),)

CATEGORIES = (3, 4, 5)
RELAXED_CATEGORIES = 3  # the simplex is drawn in 2-D
RELAXED = "Gumbel-softmax and straight-through"  # the second tab's label


def sampling_view() -> None:
    top = st.columns([2, 3, 2], vertical_alignment="bottom")  # the button in the top row: a logit's column cut it
    k = top[0].select_slider("categories", CATEGORIES, value=4, key="gm_k")
    n = top[1].select_slider("samples", views.SAMPLE_SIZES, value=1000, format_func=lambda v: f"{v:,}", key="gm_n")
    with top[2]:
        # seed 0's stream dips to p = 0.002 at 3,000 draws for the default logits: a fair draw, but a
        # confusing first view; seed 1's is typical. "New samples" shows how p-values vary.
        seed = views.seed_button("New samples", key="gm_seed", start=1)
    logits = logit_sliders("gm_logit", k, st.columns(k))
    views.gumbel_max_view(logits, n, seed)


def relaxed_view() -> None:
    cols = st.columns(RELAXED_CATEGORIES + 1)
    logits = logit_sliders("gs_logit", RELAXED_CATEGORIES, cols)
    tau = cols[-1].select_slider("temperature τ", views.TAUS, value=0.5, format_func=lambda v: f"{v:g}",
                                 key="gs_tau")
    left, right = st.columns([3, 2])
    with left:
        st.subheader("Relaxed samples on the simplex")
        views.simplex_view(logits, tau)
    with right:
        st.subheader("sg(hard − soft) + soft")
        seed = views.seed_button("New Gumbel draw", key="sg_seed")
        views.identity_view(logits, tau, seed)
    st.subheader("Bias and variance against the exact gradient")
    views.bias_variance_view(logits, tau)


PAGE = PageSpec(
    intro=INTRO,
    stem="straight_through", title="Straight-through and Gumbel", icon=":material/call_split:",
    section="Discrete latents", idea="Straight-through and Gumbel",
    summary="Gumbel-max against p, relaxed samples on the simplex, bias and variance against τ.",
    tabs=(TabSpec("Gumbel-max sampling", sampling_view, "gumbel_max",
                  code=(gumbel.gumbel_noise, gumbel.gumbel_max, gumbel.chi_square)),
          TabSpec(RELAXED, relaxed_view, "relaxed",
                  code=(estimators.straight_through_estimator, estimators.gumbel_softmax_estimator,
                        estimators.straight_through_gumbel, gumbel.straight_through))),
    publish=True,  # a "New …" button changes a seed in the run
    tab_key="st_tab",
    knobs={
        "gm_k": Choice(CATEGORIES, 4),
        "gm_n": Choice(views.SAMPLE_SIZES, 1000),
        **logit_knobs("gm_logit", max(CATEGORIES)),
        "gm_seed": Range(0, 10**6, 1, 1),
        **logit_knobs("gs_logit", RELAXED_CATEGORIES),
        "gs_tau": Choice(views.TAUS, 0.5),
        "sg_seed": SEED,
    },
    presets={  # a preset opens the tab its knobs are on (the first when it names none)
        "τ too low (0.01)": {"st_tab": RELAXED, "gs_tau": 0.01},
        "τ too high (10)": {"st_tab": RELAXED, "gs_tau": 10.0},
        "A rare category": {"gm_k": 3, "gm_logit_0": 2.0, "gm_logit_1": -2.0, "gm_logit_2": 0.0, "gm_n": 100},
        "Many samples": {"gm_n": 100_000},
    },
)
