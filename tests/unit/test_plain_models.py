"""The model interface of `likelihood` and `bounds` is `prior`, `encode`, `decode` (issue 20, item 17): a plain
object, not an nn.Module, works, with device and dtype taken from its prior. And `log_marginal`'s error is called
an estimate, not a bound (item 16), wherever it is named."""

from __future__ import annotations

import pytest
import torch
from ppca import LinearGaussian
from torch.distributions import Independent, Normal

from explorer.maths import bounds, likelihood

F64 = torch.float64


class PlainLinearGaussian:
    """Probabilistic PCA with no nn.Module anywhere: plain tensors as attributes, float32 like the app's models."""

    def __init__(self):
        oracle = LinearGaussian(noise=0.5, q_shift=0.2, mean_field=True)
        self.oracle = oracle
        self.W, self.b, self.noise = oracle.W.float(), oracle.b.float(), oracle.noise

    @property
    def prior(self):
        return Independent(Normal(torch.zeros(2), torch.ones(2)), 1)

    def decode(self, z):
        mean = z @ self.W.T + self.b
        return Independent(Normal(mean, torch.full_like(mean, self.noise)), 1)

    def encode(self, x):
        q = self.oracle.encode(x.double())
        return Independent(Normal(q.mean.float(), q.stddev.float()), 1)


def test_a_plain_object_is_a_model_for_the_likelihood_and_every_bound():
    model = PlainLinearGaussian()
    assert not isinstance(model, torch.nn.Module)
    x = model.oracle.data(3).float()
    exact = model.oracle.exact_log_px(x.double())
    torch.testing.assert_close(likelihood.log_marginal(model, x, tol=1e-4), exact, atol=2e-3, rtol=0)
    grid = likelihood.posterior_grid(model, x[0], n=20)
    assert grid.log_density.shape == (20, 20)
    result = bounds.gap(model, x, tol=1e-4)
    torch.testing.assert_close(result.gap, model.oracle.exact_gap(x.double()), atol=2e-3, rtol=0)
    assert (bounds.elbo(model, x, 50, generator=0) < exact).all()
    assert (bounds.naive_bound(model, x, 50, generator=0) < exact).all()
    assert bounds.iwae_bound(model, x, 10, generator=0).shape == (3,)


def test_the_quadrature_error_is_called_an_estimate_not_a_bound():
    """On MNIST the reported error was exceeded on 3 of 10 inputs (1.1e-4 against 1.5e-5): it is how much the
    last halving of the cells moved log p(x), an estimate; only the true errors' size (< 0.01) was ever seen."""
    doc = " ".join(likelihood.log_marginal.__doc__.split())
    assert "error estimate, not a bound" in doc, doc


def test_the_error_estimate_is_small_where_the_truth_is_known():
    model = LinearGaussian(noise=0.3)
    x = model.data(4, far=(4.0,))
    log_px, error_estimate = likelihood.log_marginal(model, x, tol=1e-3, return_error=True)
    assert (error_estimate < 1e-3).all()
    assert ((log_px - model.exact_log_px(x)).abs() < 1e-3).all()  # what the page promises: well within 0.01


@pytest.mark.parametrize("dtype", [torch.float32, F64])
def test_the_prior_sets_where_and_in_which_precision_the_decoder_is_called(dtype):
    seen = []

    class Spy(PlainLinearGaussian):
        @property
        def prior(self):
            return Independent(Normal(torch.zeros(2, dtype=dtype), torch.ones(2, dtype=dtype)), 1)

        def decode(self, z):
            seen.append(z.dtype)
            return super().decode(z.float())

    model = Spy()
    likelihood.log_likelihood(model, model.oracle.data(2).float(), torch.zeros(4, 1, 2, dtype=F64))
    assert seen and set(seen) == {dtype}
