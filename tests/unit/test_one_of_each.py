"""Issue 21, item 5: one Gumbel-noise sampler, one straight-through, one thread limiter, one MNIST data path.

Each part has two kinds of test: the one implementation is right (against a closed form, or by its behaviour),
and it is the only one (every caller reaches the very same function; the source of `explorer/`, `tests/` and
`scripts/` holds no second copy). The second kind fails on the duplicates the issue found.
"""

from __future__ import annotations

import ast
import math
import re
import threading
from pathlib import Path

import numpy as np
import pytest
import torch

from explorer.data import mnist
from explorer.maths import estimators, gumbel
from explorer.models import gumbel as categorical
from explorer.models import quantizer
from explorer.runtime import threads

ROOT = Path(__file__).resolve().parents[2]


def python_files(*folders: str) -> list[Path]:
    return [path for folder in folders for path in sorted((ROOT / folder).rglob("*.py"))]


def files_matching(pattern: str, *folders: str) -> set[str]:
    """The files (relative to the repo) whose source matches the regular expression; this file, which spells
    the patterns out, is not searched."""
    found = re.compile(pattern)
    return {str(path.relative_to(ROOT)) for path in python_files(*folders)
            if path != Path(__file__).resolve() and found.search(path.read_text())}


# --- one Gumbel-noise sampler ---------------------------------------------------------------------------------

def gumbel_cdf(g: np.ndarray) -> np.ndarray:
    """The standard Gumbel CDF F(g) = exp(−exp(−g))."""
    return np.exp(-np.exp(-g))


def ks_statistic(sample: np.ndarray, cdf) -> float:
    """The one-sample Kolmogorov–Smirnov statistic sup_x |F_n(x) − F(x)|."""
    x, n = np.sort(sample), len(sample)
    f = cdf(x)
    return float(max((np.arange(1, n + 1) / n - f).max(), (f - np.arange(n) / n).max()))


def test_gumbel_noise_follows_the_gumbel_cdf_by_a_kolmogorov_smirnov_test():
    n = 200_000
    g = gumbel.gumbel_noise((n,), torch.Generator().manual_seed(0)).numpy()
    critical = 1.95 / math.sqrt(n)  # the KS test's critical value at α = 0.001
    assert ks_statistic(g, gumbel_cdf) < critical
    assert ks_statistic(g + 0.02, gumbel_cdf) > critical  # the test sees a shift of 0.02
    assert ks_statistic(-g, gumbel_cdf) > critical  # and the mirrored law (the Gumbel is skewed)


def test_gumbel_noise_comes_from_its_generator_alone_in_the_dtype_and_device_asked():
    state = torch.get_rng_state()
    first = gumbel.gumbel_noise((1000, 5), torch.Generator().manual_seed(3), torch.float32, "cpu")
    assert torch.equal(torch.get_rng_state(), state)
    assert first.dtype == torch.float32 and first.device.type == "cpu" and torch.isfinite(first).all()
    assert torch.equal(first, gumbel.gumbel_noise((1000, 5), torch.Generator().manual_seed(3), torch.float32))
    assert not torch.equal(first, gumbel.gumbel_noise((1000, 5), torch.Generator().manual_seed(4), torch.float32))


def test_the_categorical_vae_draws_its_noise_from_the_one_sampler(monkeypatch):
    calls = []

    def spy(*args, **kwargs):
        calls.append(args)
        return gumbel.gumbel_noise(*args, **kwargs)

    monkeypatch.setattr(categorical, "gumbel_noise", spy)
    model = categorical.GumbelVAE(categorical.GumbelVAEConfig(x_dim=6, groups=2, categories=3, hidden=(8,),
                                                              image_shape=None))
    model.relaxed_codes(torch.zeros(4, 2, 3), tau=1.0, hard=False, generator=torch.Generator().manual_seed(0))
    categorical.code_views(model, torch.rand(1, 6), tau=1.0, seed=0)
    assert len(calls) == 2


def test_gumbel_noise_is_drawn_in_one_place_only():
    """No other module draws Exp(1) or takes −log(−log u): the old copies in the categorical VAE (twice) and
    explorer.models.noise are gone."""
    assert files_matching(r"exponential_\(|-\(-\s*\w+[^\n]*\.log\(\)\)|\.log\(\)\)\.clamp_min\([^)]*\)\.log\(\)",
                          "explorer", "pages") == {"explorer/maths/gumbel.py"}


# --- one straight-through --------------------------------------------------------------------------------------

def test_straight_through_has_the_hard_value_and_the_soft_gradient():
    theta = torch.tensor([0.3, -1.0, 0.5], requires_grad=True)
    soft = theta.softmax(-1)
    hard = torch.tensor([0.0, 0.0, 1.0])
    y = gumbel.straight_through(hard, soft)
    assert torch.allclose(y, hard)
    weights = torch.tensor([1.0, 2.0, -3.0])
    (through,) = torch.autograd.grad((y * weights).sum(), theta)
    (relaxed,) = torch.autograd.grad((theta.softmax(-1) * weights).sum(), theta)
    torch.testing.assert_close(through, relaxed)


def test_the_pages_the_categorical_vae_and_the_quantizer_use_the_very_same_straight_through():
    for module in (estimators, categorical, quantizer):
        assert module.straight_through is gumbel.straight_through, module.__name__


def test_every_caller_reaches_the_one_straight_through(monkeypatch):
    calls = []

    def spy(hard, soft):
        calls.append(hard.shape)
        return gumbel.straight_through(hard, soft)

    for module in (estimators, categorical, quantizer):
        monkeypatch.setattr(module, "straight_through", spy)
    objective, theta = estimators.CategoricalObjective(), torch.tensor([1.0, 0.0, -0.5], dtype=torch.float64)
    noise = gumbel.gumbel_noise((5, 3), torch.Generator().manual_seed(0))
    estimators.straight_through_estimator(objective, theta, noise, 1.0)
    estimators.straight_through_gumbel(objective, theta, noise, 1.0)
    model = categorical.GumbelVAE(categorical.GumbelVAEConfig(x_dim=6, groups=2, categories=3, hidden=(8,),
                                                              image_shape=None)).train()
    model.relaxed_codes(torch.zeros(4, 2, 3), tau=1.0, hard=True, generator=torch.Generator().manual_seed(0))
    quantizer.VectorQuantizer(8, 2).train()(torch.randn(5, 2, generator=torch.Generator().manual_seed(1)))
    assert len(calls) >= 4  # both estimators (vmapped calls count once or more), the VAE, the quantizer


def is_detached_difference(node: ast.AST) -> bool:
    """`(a − b).detach()`."""
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "detach"
            and isinstance(node.func.value, ast.BinOp) and isinstance(node.func.value.op, ast.Sub))


def straight_through_lines(path: Path) -> list[int]:
    """The lines of `(a − b).detach() + c` or `c + (a − b).detach()` in a module's code (not its docstrings)."""
    sums = [node for node in ast.walk(ast.parse(path.read_text()))
            if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add)]
    return [node.lineno for node in sums if is_detached_difference(node.left) or is_detached_difference(node.right)]


def test_the_stop_gradient_line_is_written_once():
    """`sg(a − b) + b` and `b + sg(a − b)` are computed in explorer/maths/gumbel.py only (the categorical VAE and
    the VQ-VAE quantizer each wrote their own; the categorical VAE page showed that copy, not the estimator page's)."""
    found = {str(path.relative_to(ROOT)): lines for path in python_files("explorer", "pages")
             if (lines := straight_through_lines(path))}
    assert list(found) == ["explorer/maths/gumbel.py"] and len(found["explorer/maths/gumbel.py"]) == 1, found


# --- one thread limiter ----------------------------------------------------------------------------------------

def test_torch_threads_limits_a_block_and_a_function_and_restores_after_an_error():
    before = torch.get_num_threads()
    with threads.torch_threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
    assert threads.torch_threads(1)(torch.get_num_threads)() == 1
    assert torch.get_num_threads() == before
    with pytest.raises(ZeroDivisionError), threads.torch_threads(1):
        1 / 0  # noqa: B018 - the error is the point
    assert torch.get_num_threads() == before


def test_a_decorated_function_may_run_in_several_threads_at_once():
    """The decorator enters a fresh context per call: threads inside it at the same time each see one thread."""
    barrier, seen = threading.Barrier(3), []

    @threads.torch_threads(1)
    def count() -> None:
        barrier.wait(timeout=10)
        seen.append(torch.get_num_threads())

    workers = [threading.Thread(target=count) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert seen == [1, 1, 1]


def test_the_thread_count_is_set_in_one_place_only():
    """explorer.runtime.threads limits blocks; a training job's own thread sets its count once for its life."""
    assert files_matching(r"set_num_threads\(", "explorer", "pages") == {"explorer/runtime/threads.py",
                                                                       "explorer/training/jobs.py"}
    assert not files_matching(r"def one_thread|def torch_threads", "explorer", "pages", "tests") - {
        "explorer/runtime/threads.py"}


# --- one MNIST data path ---------------------------------------------------------------------------------------

def test_the_shared_mnist_folder_is_defined_once_beside_the_checkout():
    assert mnist.SHARED_MNIST.parts[-3:] == ("shared", "data", "mnist")
    assert mnist.SHARED_MNIST.parents[2] == ROOT.parent
    assert mnist.shared_folder() == mnist.SHARED_MNIST
    assert files_matching(r'"shared"\s*/|shared/data/mnist"', "explorer", "tests", "pages", "scripts") \
        == {"explorer/data/mnist_files.py"}
