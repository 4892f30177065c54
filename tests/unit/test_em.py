"""EM for Gaussian mixtures and k-means, step by step: the bound's behaviour, and scikit-learn as reference."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy.stats import multivariate_normal
from sklearn.cluster import KMeans
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture

from explorer import data
from explorer.maths import em


@pytest.fixture(scope="module")
def moons() -> np.ndarray:
    return data.load("moons", "train").x[:300].numpy().astype(np.float64)


@pytest.fixture(scope="module")
def blobs() -> np.ndarray:
    """Three anisotropic, partly overlapping clusters: EM converges in tens of iterations."""
    rng = np.random.default_rng(3)
    centres = np.array([[0.0, 0.0], [3.0, 1.0], [0.5, 3.0]])
    shapes = [np.array([[1.0, 0.6], [0.6, 0.7]]), np.array([[0.4, -0.2], [-0.2, 0.5]]), np.eye(2) * 0.6]
    return np.concatenate([rng.multivariate_normal(c, s, 100) for c, s in zip(centres, shapes, strict=True)])


def iterate(state: em.EMState, iterations: int) -> em.EMState:
    for _ in range(iterations):
        state = em.m_step(em.e_step(state))
    return state


def to_fixed_point(state: em.EMState, max_iterations: int = 3000) -> em.EMState:
    """EM (or k-means) iterated until θ stops moving (k-means: until q stops changing)."""
    for _ in range(max_iterations):
        new = iterate(state, 1)
        if state.resp is not None and (np.array_equal(new.resp, state.resp) if state.kmeans else
                                       np.abs(new.mixture.means - state.mixture.means).max() < 1e-13):
            return new
        state = new
    raise AssertionError(f"no fixed point after {max_iterations} iterations")


def kl_to_posterior(x: np.ndarray, state: em.EMState) -> float:
    """Σ_n KL(q(z_n) ‖ p(z_n|x_n, θ)), computed from the exact posterior, not from the ELBO."""
    q, p = state.resp, em.posterior(x, state.mixture)
    return float(np.where(q > 0, q * (np.log(np.where(q > 0, q, 1)) - np.log(p)), 0).sum())


@pytest.mark.parametrize("covariance_type", em.COVARIANCE_TYPES)
def test_log_likelihood_and_elbo_never_decrease(moons, covariance_type):
    state = iterate(em.start(moons, 4, covariance_type, seed=1), 60)
    log_px = np.array([s.log_likelihood for s in state.history])
    bound = np.array([s.elbo for s in state.history])
    assert np.diff(log_px).min() >= -1e-9 and np.diff(bound).min() >= -1e-9
    assert log_px[-1] - log_px[0] > 10  # it did climb: the check above is not about a flat line


@pytest.mark.parametrize("covariance_type", em.COVARIANCE_TYPES)
def test_e_step_closes_the_gap_and_m_step_opens_it(moons, covariance_type):
    """log p(x) − ELBO = KL(q ‖ p(z|x)): 0 right after an E-step, ≥ 0 (and then > 0) after an M-step."""
    state = em.start(moons, 3, covariance_type, seed=0)
    gaps_after_m = []
    for _ in range(8):
        state = em.e_step(state)
        assert state.history[-1].elbo == pytest.approx(state.history[-1].log_likelihood, abs=1e-8, rel=0)
        assert kl_to_posterior(moons, state) == pytest.approx(0.0, abs=1e-8)
        before = state.history[-1]
        state = em.m_step(state)
        after = state.history[-1]
        gap = after.log_likelihood - after.elbo
        assert gap >= -1e-9 and gap == pytest.approx(kl_to_posterior(moons, state), abs=1e-7)
        assert after.elbo >= before.elbo - 1e-9  # the M-step raised the bound it maximized
        gaps_after_m.append(gap)
    assert max(gaps_after_m) > 1e-3


def test_log_joint_is_the_gaussian_density(blobs):
    rng = np.random.default_rng(0)
    a = rng.normal(size=(3, 2, 2))
    mixture = em.Mixture(np.array([0.2, 0.5, 0.3]), rng.normal(size=(3, 2)), a @ a.transpose(0, 2, 1) + np.eye(2))
    expected = np.stack([np.log(w) + multivariate_normal(m, c).logpdf(blobs) for w, m, c in
                         zip(mixture.weights, mixture.means, mixture.covariances, strict=True)], axis=1)
    np.testing.assert_allclose(em.log_joint(blobs, mixture), expected, rtol=1e-12, atol=1e-10)
    assert em.log_likelihood(blobs, mixture) == pytest.approx(np.logaddexp.reduce(expected, axis=1).sum(), rel=1e-12)
    np.testing.assert_allclose(em.posterior(blobs, mixture).sum(axis=1), 1.0, atol=1e-12)


def test_elbo_takes_zero_log_zero_as_zero(blobs):
    state = em.start(blobs, 3)
    hard = em.hard_assignments(blobs, state.mixture)
    picked = em.log_joint(blobs, state.mixture)[np.arange(len(blobs)), hard.argmax(axis=1)]
    assert em.elbo(blobs, state.mixture, hard) == pytest.approx(picked.sum(), rel=1e-12)


def shared(mixture: em.Mixture, variance: float) -> em.Mixture:
    k, d = mixture.means.shape
    return em.Mixture(np.full(k, 1 / k), mixture.means, np.repeat(variance * np.eye(d)[None], k, axis=0))


def test_kmeans_is_em_with_hard_responsibilities_in_the_limit(blobs):
    """Equal weights, shared σ²I, σ² → 0: EM's posterior tends to k-means' one-hot assignment, and
    EM's M-step on that one-hot q gives k-means' means and (pooled) variance."""
    state = em.start(blobs, 3, kmeans=True, seed=2)
    hard = em.hard_assignments(blobs, state.mixture)
    distance = [np.abs(em.posterior(blobs, shared(state.mixture, v)) - hard).mean() for v in (1, 1e-1, 1e-2, 1e-3)]
    assert all(a > b for a, b in zip(distance, distance[1:], strict=False)) and distance[-1] < 1e-3
    for v in (1, 1e-3):  # the most probable component is the nearest mean, whatever σ²
        np.testing.assert_array_equal(em.posterior(blobs, shared(state.mixture, v)).argmax(axis=1), hard.argmax(1))
    soft = em.fit(blobs, hard, "spherical")
    kmeans = em.fit_kmeans(blobs, hard, state.mixture)
    np.testing.assert_allclose(kmeans.means, soft.means, rtol=1e-12, atol=1e-12)
    pooled = (hard.sum(axis=0) * (soft.covariances[:, 0, 0] - em.REG_COVAR)).sum() / len(blobs) + em.REG_COVAR
    np.testing.assert_allclose(kmeans.covariances[:, 0, 0], pooled, rtol=1e-10)
    np.testing.assert_allclose(kmeans.weights, 1 / 3)
    after = em.e_step(state)
    np.testing.assert_array_equal(after.resp, hard)


def test_kmeans_bound_rises_but_its_gap_stays_open(moons):
    state = iterate(em.start(moons, 4, kmeans=True, seed=0), 15)
    bound = np.array([s.elbo for s in state.history])
    assert np.diff(bound).min() >= -1e-9
    assert all(s.log_likelihood - s.elbo > 1e-3 for s in state.history if s.label.startswith("E"))


def sklearn_precisions(mixture: em.Mixture, covariance_type: str) -> np.ndarray:
    precisions = np.linalg.inv(mixture.covariances)
    diagonal = np.diagonal(precisions, axis1=1, axis2=2)
    return {"full": precisions, "diag": diagonal, "spherical": diagonal[:, 0]}[covariance_type]


def sklearn_covariances(gm: GaussianMixture, covariance_type: str) -> np.ndarray:
    c = gm.covariances_
    return {"full": c, "diag": c[:, :, None] * np.eye(2) if c.ndim == 2 else c,
            "spherical": c[:, None, None] * np.eye(2) if c.ndim == 1 else c}[covariance_type]


def sklearn_fit(x: np.ndarray, start: em.EMState, max_iter: int, tol: float) -> GaussianMixture:
    gm = GaussianMixture(start.mixture.k, covariance_type=start.covariance_type, tol=tol, reg_covar=em.REG_COVAR,
                         max_iter=max_iter, weights_init=start.mixture.weights, means_init=start.mixture.means,
                         precisions_init=sklearn_precisions(start.mixture, start.covariance_type))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # max_iter=1: not converged, on purpose
        return gm.fit(x)


def assert_same_mixture(ours: em.Mixture, gm: GaussianMixture, covariance_type: str, tol: float) -> None:
    np.testing.assert_allclose(ours.weights, gm.weights_, atol=tol)
    np.testing.assert_allclose(ours.means, gm.means_, atol=tol)
    np.testing.assert_allclose(ours.covariances, sklearn_covariances(gm, covariance_type), atol=tol)


@pytest.mark.parametrize("covariance_type", em.COVARIANCE_TYPES)
def test_steps_and_fixed_point_match_sklearn(blobs, covariance_type):
    start = em.start(blobs, 3, covariance_type, seed=4)
    for iterations in (1, 3):  # step by step: sklearn's first EM iterations from the same θ₀
        gm = sklearn_fit(blobs, start, max_iter=iterations, tol=0.0)
        assert_same_mixture(iterate(start, iterations).mixture, gm, covariance_type, 1e-10)
    gm = sklearn_fit(blobs, start, max_iter=10_000, tol=1e-14)
    assert gm.converged_
    state = to_fixed_point(start)
    assert state.converged
    assert_same_mixture(state.mixture, gm, covariance_type, 1e-7)
    assert state.history[-1].log_likelihood / len(blobs) == pytest.approx(gm.score(blobs), abs=1e-9)


def test_kmeans_fixed_point_matches_sklearn(moons):
    state = em.start(moons, 5, kmeans=True, seed=1)
    reference = KMeans(5, init=state.mixture.means, n_init=1, max_iter=1000, tol=0.0, algorithm="lloyd").fit(moons)
    state = to_fixed_point(state)
    assert state.iteration > 2  # it moved
    np.testing.assert_array_equal(state.resp.argmax(axis=1), reference.labels_)
    np.testing.assert_allclose(state.mixture.means, reference.cluster_centers_, atol=1e-10)


def test_half_steps_alternate_and_run_stops_at_convergence(blobs):
    state = em.start(blobs, 3, "diag", seed=0)
    assert state.next_step == "E" and state.resp is None and state.history == ()
    with pytest.raises(ValueError, match="E-step"):
        em.m_step(state)
    assert not em.m_step(em.e_step(state)).converged  # one M-step: no full iteration to compare yet
    state = em.half_step(em.half_step(em.half_step(state)))
    assert [s.label for s in state.history] == ["E1", "M1", "E2"] and state.next_step == "M"
    state = em.run(state, iterations=5)
    assert [s.label for s in state.history][3:] == ["M2", "E3", "M3", "E4", "M4", "E5", "M5", "E6", "M6", "E7", "M7"]
    assert not state.converged
    state = em.run(state, iterations=10_000)
    assert state.converged and state.iteration < 10_000
    rises = [s.elbo for s in state.history if s.label.startswith("M")]
    assert (rises[-1] - rises[-2]) / len(blobs) < em.TOL <= (rises[-2] - rises[-3]) / len(blobs)


def test_an_empty_kmeans_cluster_keeps_its_centre(blobs):
    start = em.start(blobs, 3, kmeans=True, seed=0)
    means = np.array([[50.0, -50.0], *start.mixture.means[1:]])
    state = em.m_step(em.e_step(em.EMState(blobs, em.Mixture(start.mixture.weights, means, start.mixture.covariances),
                                           kmeans=True)))
    assert state.resp[:, 0].sum() == 0
    np.testing.assert_array_equal(state.mixture.means[0], means[0])
    assert np.isfinite(state.history[-1].elbo) and np.isfinite(state.history[-1].log_likelihood)


def test_bad_arguments_are_refused(blobs):
    with pytest.raises(ValueError, match="covariance_type"):
        em.fit(blobs, np.ones((len(blobs), 1)), "tied")
    with pytest.raises(ValueError, match="K"):
        em.start(blobs[:2], 3)


def page_moons() -> np.ndarray:
    """The page's default data: 300 points of the moons drawn as `explorer.ui.views.vae_em.toy_points` draws them."""
    x = data.load("moons", "train").x.numpy().astype(np.float64)
    return x[np.random.default_rng(0).choice(len(x), 300, replace=False)]


def test_the_gap_after_an_e_step_is_zero_never_a_rounded_negative_kl():
    """Issue 20, item 7: after E15 of the page's default run, log p(x) − ELBO = −3.8e-16 per point, rounding,
    which the page printed as a negative KL. The gap the page shows is 0 there, and the KL itself elsewhere."""
    state = em.start(page_moons(), 3, seed=0)
    raw, shown = [], []
    for _ in range(20):
        state = em.e_step(state)
        raw.append(state.history[-1].log_likelihood - state.history[-1].elbo)
        shown.append(state.history[-1].gap)
        state = em.m_step(state)
        assert state.history[-1].gap == state.history[-1].log_likelihood - state.history[-1].elbo > 0  # a real KL
    assert min(raw) < 0  # the rounding the fix is about does happen on this run
    assert shown == [0.0] * 20


def test_posterior_gap_zeroes_rounding_only():
    assert em.posterior_gap(-400.0, -400.0 + 1e-13) == 0.0  # −1e-13 on |log p| = 400: rounding
    assert em.posterior_gap(-400.0, -400.5) == 0.5
    assert em.posterior_gap(-400.0, -399.0) == -1.0  # a bound above log p(x) is a bug: kept, to be seen
    assert em.posterior_gap(-1e-3, -1e-3 - 1e-6) == pytest.approx(1e-6)  # small, but far above rounding
