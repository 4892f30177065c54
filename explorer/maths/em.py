"""EM for a Gaussian mixture, and k-means as its hard limit, one half-step at a time.

Dempster, Laird & Rubin (1977), "Maximum likelihood from incomplete data via the EM algorithm",
JRSS B 39(1); Bishop (2006), *Pattern Recognition and Machine Learning*, ch. 9.

For the mixture p(x|θ) = Σ_k π_k N(x|μ_k, Σ_k) and any q(z_n = k) = r_nk over each point's component,

    log p(x|θ) = ELBO(q, θ) + Σ_n KL(q(z_n) ‖ p(z_n|x_n, θ)),
    ELBO(q, θ) = Σ_n Σ_k r_nk [log π_k + log N(x_n|μ_k, Σ_k) − log r_nk]     (0 · log 0 = 0).

The E-step sets q to the exact posterior p(z|x, θ): every KL vanishes and the bound touches log p(x|θ).
The M-step maximizes the ELBO over θ with q held: the bound rises, and log p(x|θ) rises at least as
much, since the KL is ≥ 0 again. So log p(x|θ) never decreases (Bishop §9.4). A VAE climbs the same
bound, but p(z|x) has no closed form there: its q_φ(z|x) is an encoder shared by all x, and the gap
stays open.

K-means is EM for a mixture with equal weights and one shared covariance σ²I in the limit σ → 0
(Bishop §9.3.2): the responsibilities become one-hot at the nearest mean and the M-step's means the
cluster averages. Here σ² is kept at its maximum-likelihood value given the hard q, so the bound can
be drawn: the ELBO only rises, but a hard q is never the soft posterior, so the gap does not close.

Arrays are float64 numpy; the covariances are always full (K, D, D) matrices, whatever their type.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

COVARIANCE_TYPES = ("full", "diag", "spherical")
REG_COVAR = 1e-6  # added to every variance, as scikit-learn's reg_covar: no component collapses to a point
TOL = 1e-6  # converged when the ELBO per point rose less than this over one iteration
_EPS = 10 * np.finfo(np.float64).eps  # keeps an empty component's N_k above zero, as scikit-learn does


@dataclass(frozen=True, eq=False)
class Mixture:
    """θ = (π, μ, Σ) of K Gaussians in D dimensions."""

    weights: np.ndarray  # (K,) π_k
    means: np.ndarray  # (K, D) μ_k
    covariances: np.ndarray  # (K, D, D) Σ_k

    @property
    def k(self) -> int:
        return len(self.weights)


# --- the maths of one mixture --------------------------------------------------------------------

def logsumexp(a: np.ndarray, axis: int = -1) -> np.ndarray:
    """log Σ exp(a) along an axis, shifted by the maximum so that nothing overflows."""
    top = a.max(axis=axis, keepdims=True)
    return (top + np.log(np.exp(a - top).sum(axis=axis, keepdims=True))).squeeze(axis)


def log_joint(x: np.ndarray, mixture: Mixture) -> np.ndarray:
    """log π_k + log N(x_n|μ_k, Σ_k), (N, K).

    With the Cholesky factor Σ = L Lᵀ and u = L⁻¹(x − μ):
    log N(x|μ, Σ) = −½ uᵀu − Σ_i log L_ii − (D/2) log 2π.
    """
    d = x.shape[1]
    out = np.empty((len(x), mixture.k))
    for k in range(mixture.k):
        chol = np.linalg.cholesky(mixture.covariances[k])
        u = np.linalg.solve(chol, (x - mixture.means[k]).T)  # (D, N)
        out[:, k] = -0.5 * (u * u).sum(0) - np.log(np.diag(chol)).sum() - 0.5 * d * np.log(2 * np.pi)
    return out + np.log(mixture.weights)


def log_likelihood(x: np.ndarray, mixture: Mixture) -> float:
    """log p(x|θ) = Σ_n log Σ_k π_k N(x_n|μ_k, Σ_k)."""
    return float(logsumexp(log_joint(x, mixture), axis=1).sum())


def elbo(x: np.ndarray, mixture: Mixture, resp: np.ndarray) -> float:
    """Σ_n Σ_k r_nk [log π_k + log N(x_n|μ_k, Σ_k) − log r_nk], with 0 · log 0 = 0."""
    positive = resp > 0
    log_resp = np.log(np.where(positive, resp, 1.0))
    return float(np.where(positive, resp * (log_joint(x, mixture) - log_resp), 0.0).sum())


def posterior(x: np.ndarray, mixture: Mixture) -> np.ndarray:
    """The E-step: r_nk = p(z_n = k|x_n, θ) = π_k N(x_n|μ_k, Σ_k) / Σ_j π_j N(x_n|μ_j, Σ_j), (N, K)."""
    joint = log_joint(x, mixture)
    return np.exp(joint - logsumexp(joint, axis=1)[:, None])


def fit(x: np.ndarray, resp: np.ndarray, covariance_type: str = "full", reg_covar: float = REG_COVAR) -> Mixture:
    """The M-step: argmax_θ ELBO(q, θ) for fixed r. Setting its gradients to zero (π under Σπ = 1) gives

    N_k = Σ_n r_nk,  π_k = N_k / N,  μ_k = Σ_n r_nk x_n / N_k,  Σ_k = Σ_n r_nk (x_n − μ_k)(x_n − μ_k)ᵀ / N_k;
    "diag" keeps the diagonal of Σ_k, "spherical" its mean variance times I (Bishop §9.2.2).
    """
    if covariance_type not in COVARIANCE_TYPES:
        raise ValueError(f"covariance_type {covariance_type!r} is not one of {COVARIANCE_TYPES}")
    nk = resp.sum(axis=0) + _EPS
    means = resp.T @ x / nk[:, None]
    diff = x[None, :, :] - means[:, None, :]  # (K, N, D)
    covariances = np.einsum("nk,kni,knj->kij", resp, diff, diff) / nk[:, None, None]
    variances = np.diagonal(covariances, axis1=1, axis2=2)  # (K, D)
    if covariance_type == "diag":
        covariances = _diagonal(variances)
    elif covariance_type == "spherical":
        covariances = _diagonal(np.repeat(variances.mean(axis=1, keepdims=True), x.shape[1], axis=1))
    covariances = covariances + reg_covar * np.eye(x.shape[1])
    return Mixture(nk / nk.sum(), means, covariances)


def hard_assignments(x: np.ndarray, mixture: Mixture) -> np.ndarray:
    """K-means' E-step: r_nk = 1 for the nearest mean, the σ → 0 limit of `posterior`, (N, K) one-hot."""
    distances = ((x[:, None, :] - mixture.means[None, :, :]) ** 2).sum(axis=2)
    return np.eye(mixture.k)[distances.argmin(axis=1)]


def fit_kmeans(x: np.ndarray, resp: np.ndarray, previous: Mixture, reg_covar: float = REG_COVAR) -> Mixture:
    """K-means' M-step: μ_k = the mean of cluster k (an empty cluster keeps its mean), π_k = 1/K, and
    the shared σ² = J / (N D), the ML variance for the distortion J = Σ_n ‖x_n − μ_{z_n}‖²."""
    counts = resp.sum(axis=0)
    means = np.where(counts[:, None] > 0, resp.T @ x / np.maximum(counts, 1)[:, None], previous.means)
    distortion = (resp * ((x[:, None, :] - means[None, :, :]) ** 2).sum(axis=2)).sum()
    return _shared_spherical(means, distortion / x.size + reg_covar)


def _diagonal(variances: np.ndarray) -> np.ndarray:
    return variances[:, :, None] * np.eye(variances.shape[1])


def _shared_spherical(means: np.ndarray, variance: float) -> Mixture:
    k, d = means.shape
    return Mixture(np.full(k, 1.0 / k), means, np.repeat(variance * np.eye(d)[None], k, axis=0))


def initial_mixture(x: np.ndarray, k: int, covariance_type: str = "full", kmeans: bool = False,
                    seed: int = 0) -> Mixture:
    """θ₀: means at k distinct data points drawn at random, equal weights, and every covariance the
    data's own (diagonal or spherical as the type asks; one shared σ²I for k-means)."""
    if not 1 <= k <= len(x):
        raise ValueError(f"need 1 ≤ K ≤ N, got K = {k} for {len(x)} points")
    means = x[np.random.default_rng(seed).choice(len(x), k, replace=False)]
    if kmeans:
        return _shared_spherical(means, float(x.var(axis=0).mean()) + REG_COVAR)
    spread = fit(x, np.ones((len(x), 1)), covariance_type).covariances  # (1, D, D): the data's own
    return Mixture(np.full(k, 1.0 / k), means, np.repeat(spread, k, axis=0))


# --- EM as a sequence of half-steps --------------------------------------------------------------

ROUNDING = 1e-12  # relative size of float64 rounding in log p(x|θ) and the ELBO, sums of N·K terms


def posterior_gap(log_likelihood: float, elbo: float) -> float:
    """KL(q ‖ p(z|x, θ)) = log p(x|θ) − ELBO(q, θ), in the units of its arguments (nats, summed or per point).

    The KL is ≥ 0, and 0 right after an E-step. Both numbers are float64 sums of N·K terms, so there they
    differ by rounding alone (±4e-16 per point on 300 points), which the page printed as a negative KL.
    A difference within ROUNDING · |log p(x|θ)| of 0 is rounding and is returned as 0; a larger negative
    one would be a bug, and is returned as it is, to be seen."""
    gap = log_likelihood - elbo
    return 0.0 if abs(gap) <= ROUNDING * max(1.0, abs(log_likelihood)) else gap


@dataclass(frozen=True)
class HalfStep:
    """What one half-step left: "E3" or "M3", log p(x|θ) and the ELBO(q, θ) after it (sums over points)."""

    label: str
    log_likelihood: float
    elbo: float

    @property
    def gap(self) -> float:
        """KL(q ‖ p(z|x, θ)) summed over points, 0 within rounding (`posterior_gap`)."""
        return posterior_gap(self.log_likelihood, self.elbo)


@dataclass(frozen=True, eq=False)
class EMState:
    """EM (or k-means) on fixed points x (N, D): the current θ, q and the history of half-steps."""

    x: np.ndarray
    mixture: Mixture
    covariance_type: str = "full"
    kmeans: bool = False
    resp: np.ndarray | None = None  # q(z_n = k), None before the first E-step
    history: tuple[HalfStep, ...] = ()

    @property
    def next_step(self) -> str:
        """"E" or "M": the half-steps alternate, starting with an E-step."""
        return "M" if self.history and self.history[-1].label.startswith("E") else "E"

    @property
    def iteration(self) -> int:
        return sum(step.label.startswith("E") for step in self.history)

    @property
    def converged(self) -> bool:
        """The ELBO per point rose less than TOL over the last full iteration (M-step to M-step)."""
        rises = [s.elbo for s in self.history if s.label.startswith("M")]
        return len(rises) >= 2 and (rises[-1] - rises[-2]) / len(self.x) < TOL


def start(x: np.ndarray, k: int, covariance_type: str = "full", kmeans: bool = False, seed: int = 0) -> EMState:
    x = np.asarray(x, dtype=np.float64)
    return EMState(x, initial_mixture(x, k, covariance_type, kmeans, seed), covariance_type, kmeans)


def e_step(state: EMState) -> EMState:
    """q ← p(z|x, θ) (k-means: the nearest mean); θ is unchanged, so is log p(x|θ)."""
    resp = (hard_assignments if state.kmeans else posterior)(state.x, state.mixture)
    return _record(replace(state, resp=resp), f"E{state.iteration + 1}")


def m_step(state: EMState) -> EMState:
    """θ ← argmax_θ ELBO(q, θ) for the q of the last E-step."""
    if state.resp is None:
        raise ValueError("an M-step needs the q of an E-step first")
    if state.kmeans:
        mixture = fit_kmeans(state.x, state.resp, state.mixture)
    else:
        mixture = fit(state.x, state.resp, state.covariance_type)
    return _record(replace(state, mixture=mixture), f"M{state.iteration}")


def half_step(state: EMState) -> EMState:
    return e_step(state) if state.next_step == "E" else m_step(state)


def run(state: EMState, iterations: int = 20) -> EMState:
    """Finish a pending M-step, then up to `iterations` E and M steps; stops early once converged."""
    if state.next_step == "M":
        state = m_step(state)
    for _ in range(iterations):
        if state.converged:
            break
        state = m_step(e_step(state))
    return state


def _record(state: EMState, label: str) -> EMState:
    step = HalfStep(label, log_likelihood(state.x, state.mixture), elbo(state.x, state.mixture, state.resp))
    return replace(state, history=(*state.history, step))
