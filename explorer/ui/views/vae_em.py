"""The views of the "VAE as EM" page: a Gaussian mixture (or k-means) fitted by EM one half-step at a time
on a toy 2-D set or on points clicked onto the plane (Dempster, Laird & Rubin 1977; Bishop 2006, ch. 9).

Numbers come from `explorer.maths.em`, figures from `explorer.figures.em`. The run is an immutable
`em.EMState` kept in this session's state: a button replaces it by the next one; any change of the
data, K, covariance type, k-means or initial draw starts a new run.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import streamlit as st

from explorer import data
from explorer.figures.em import bound_figure, mixture_figure
from explorer.maths import em
from explorer.ui.figure_export import chart

OWN = "own"
LABELS = {"moons": "two moons", "circles": "circles", "pinwheel": "pinwheel", "8gaussians": "8 Gaussians",
          "swissroll": "swiss roll", "checkerboard": "checkerboard", OWN: "your own points"}
COVARIANCES = {"full": "full Σₖ", "diag": "diagonal Σₖ", "spherical": "spherical σₖ²I"}
N_POINTS = 300  # points drawn from a toy set: enough to see the clusters, light for the browser
RUN_ITERATIONS = 20
EXTENT = (-3.0, 3.0, -3.0, 3.0)  # the toy sets are standardized: all of them fit in this box
CLICK_GRID = 41  # faint clickable markers per axis on the plane of your own points
MAX_K, DEFAULT_K = 8, 3  # the components slider
MAX_DRAW = 999  # the "Start" input: which random points the means start at
STATE, CONFIG, POINTS, PLANE = "em_state", "em_config", "em_points", "em_plane"


@dataclass(frozen=True)
class Settings:
    dataset: str
    k: int
    covariance_type: str
    kmeans: bool
    draw: int


def settings() -> Settings:
    """The data and model widgets, in one row."""
    cols = st.columns([3, 2, 2, 1])
    dataset = cols[0].selectbox("Data", tuple(LABELS), format_func=LABELS.get, key="em_data")
    k = cols[1].slider("Components K", 1, MAX_K, DEFAULT_K, key="em_k")
    kmeans = cols[2].toggle("k-means", key="em_kmeans",  # "k-means (hard)" was cut in projector mode
                            help="Hard assignments (k-means): equal weights, one shared σ²I, each point wholly to its "
                                 "nearest centre: the σ → 0 limit of EM.")
    covariance = cols[2].radio("Covariance", tuple(COVARIANCES), format_func=COVARIANCES.get, horizontal=True,
                               key="em_cov", disabled=kmeans)
    draw = cols[3].number_input("Start", 0, MAX_DRAW, 0, key="em_draw", help="Which random data points the means "
                                "start at. Change it to land in another local optimum.")
    return Settings(dataset, int(k), covariance, kmeans, int(draw))


@st.cache_data(show_spinner=False)
def toy_points(name: str) -> np.ndarray:
    x = data.load(name, "train").x.numpy().astype(np.float64)
    return x[np.random.default_rng(0).choice(len(x), N_POINTS, replace=False)]


def points(choice: Settings) -> np.ndarray:
    if choice.dataset == OWN:
        return np.array(st.session_state.get(POINTS, []), dtype=np.float64).reshape(-1, 2)
    return toy_points(choice.dataset)


def current_state(choice: Settings, x: np.ndarray) -> em.EMState | None:
    """This session's run on x, started afresh when the settings or the points changed; None with fewer than K."""
    config = (choice, x.shape, hash(x.tobytes()))
    if len(x) < choice.k:
        st.session_state.pop(STATE, None)
        return None
    if st.session_state.get(CONFIG) != config or STATE not in st.session_state:
        st.session_state[STATE] = em.start(x, choice.k, choice.covariance_type, choice.kmeans, choice.draw)
        st.session_state[CONFIG] = config
    return st.session_state[STATE]


def _advance(step) -> None:
    st.session_state[STATE] = step(st.session_state[STATE])


def buttons(state: em.EMState | None) -> None:
    """Step E, Step M, Run and Reset, each as wide as its label (in columns "Run 20 iterations" was cut); each acts
    through a callback before the page reruns."""
    none, converged = state is None, state is not None and state.converged
    row = st.container(horizontal=True, gap="small")
    row.button("Step E", key="em_step_e", type="primary", icon=":material/looks_one:",
               disabled=none or state.next_step != "E", on_click=_advance, args=(em.e_step,))
    row.button("Step M", key="em_step_m", type="primary", icon=":material/looks_two:",
               disabled=none or state.next_step != "M", on_click=_advance, args=(em.m_step,))
    row.button(f"Run {RUN_ITERATIONS} iterations", key="em_run", icon=":material/fast_forward:",
               disabled=none or converged, on_click=_advance, args=(lambda s: em.run(s, RUN_ITERATIONS),))
    row.button("Reset", key="em_reset", icon=":material/restart_alt:", disabled=none,
               on_click=lambda: st.session_state.pop(STATE, None))
    if converged:
        st.success(f"Converged after {state.iteration} iterations: the ELBO per point rose less than "
                        f"{em.TOL:g} nats in the last one.", icon=":material/check_circle:")


def _add_clicked_point() -> None:
    selection = st.session_state.get(PLANE)
    picked = selection.selection.points if selection is not None and selection.get("selection") else []
    st.session_state[POINTS] = [*st.session_state.get(POINTS, []),
                                *[(float(p["x"]), float(p["y"])) for p in picked]]


def _click_grid() -> np.ndarray:
    x0, x1, y0, y1 = EXTENT
    gx, gy = np.meshgrid(np.linspace(x0, x1, CLICK_GRID), np.linspace(y0, y1, CLICK_GRID))
    return np.stack([gx.ravel(), gy.ravel()], axis=1)


def _title(state: em.EMState | None, kmeans: bool) -> str:
    if state is None or not state.history:
        return "θ₀: the starting means" + ("" if kmeans else " and covariances")
    label = state.history[-1].label
    if label.startswith("E"):
        return f"After {label}: " + ("each point to its nearest centre" if kmeans else "q(z|x) = p(z|x, θ)")
    return f"After {label}: " + ("centres at the cluster means" if kmeans else "θ maximizes the ELBO for this q")


def mixture_view(choice: Settings, state: em.EMState | None, x: np.ndarray) -> None:
    """The points coloured by q and the components; on your own points, a click adds a point."""
    own = choice.dataset == OWN
    mixture = state.mixture if state is not None else em.Mixture(np.zeros(0), np.zeros((0, 2)), np.zeros((0, 2, 2)))
    fig = mixture_figure(x, mixture.means, mixture.covariances, mixture.weights,
                         None if state is None else state.resp, choice.kmeans, EXTENT, _title(state, choice.kmeans),
                         click_grid=_click_grid() if own else None)
    if not own:
        chart(fig, width="stretch", key="em_mixture")
        return
    chart(fig, width="stretch", key=PLANE, on_select=_add_clicked_point, selection_mode="points")
    left, right = st.columns([3, 1])
    left.caption(f"Click anywhere on the plane to add a point ({len(x)} so far"
                 + (f"; EM needs at least K = {choice.k})." if len(x) < choice.k else ")."))
    right.button("Clear points", key="em_clear", icon=":material/delete:", disabled=not len(x),
                 on_click=lambda: st.session_state.update({POINTS: []}))


def bound_view(state: em.EMState | None) -> None:
    """log p(x) and the ELBO per point after every half-step, and the numbers now: one metric per row, each value
    with its unit (three in a row of a 308 px column were cut to "-2.…")."""
    history = () if state is None else state.history
    n = 1 if state is None else len(state.x)
    log_px = np.array([s.log_likelihood for s in history]) / n
    bound = np.array([s.elbo for s in history]) / n
    kmeans = state is not None and state.kmeans
    title = "k-means: a hard q leaves a gap" if kmeans else "The bound touches at E, rises at M"
    if not history:
        st.info("Press **Step E**: the chart of log p(x) and the ELBO starts with the first half-step.")
        return
    gap = history[-1].gap / n  # 0 within rounding after an E-step, never a negative KL
    chart(bound_figure([s.label for s in history], log_px, bound, gap, title), width="stretch", key="em_bound")
    st.metric("log p(x) per point", f"{log_px[-1]:.3f} nats")
    st.metric("ELBO per point", f"{bound[-1]:.3f} nats")
    st.metric("gap KL(q ‖ p(z|x)) per point", f"{gap:.2g} nats")
