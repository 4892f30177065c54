"""The exercises' numbers against closed forms and independent computations: the Gaussian KL's derivation
steps, Monte Carlo and torch.distributions; the checker of a typed formula; the VQ-VAE's constant KL from
its own codes and the soft-q contrast; the Gumbel-max law (χ² and the proof's integral) and the
Gumbel-softmax limit τ → 0; the assignment's reference model, pictures and source."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from explorer import data, models
from explorer.analysis import exercises
from explorer.maths import gumbel, objectives
from explorer.store import zoo
from explorer.training.train import Trainer

CASES = exercises.random_cases(12, seed=3)
LOGITS = (1.0, 0.0, -0.5, 0.5)


# --- 1. the analytic KL ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("mu", "sigma"), CASES)
def test_every_derivation_step_equals_the_closed_form(mu, sigma):
    closed = 0.5 * np.sum(mu**2 + sigma**2 - 1 - np.log(sigma**2))
    step = exercises.kl_derivation(mu, sigma)
    assert step["closed_form"] == pytest.approx(closed, rel=1e-12)
    assert step["difference"] == pytest.approx(closed, rel=1e-12)
    assert step["sum_per_unit"] == pytest.approx(closed, rel=1e-12)
    q, _ = exercises.gaussians(mu, sigma)
    assert step["e_log_q"] == pytest.approx(-float(q.entropy()), rel=1e-12)  # E_q log q = −H(q)
    units = objectives.kl_normal_standard_per_unit(torch.tensor(mu), torch.tensor(2 * np.log(sigma)))
    np.testing.assert_allclose(step["per_unit"], units.numpy(), rtol=1e-12)
    assert exercises.kl_torch(mu, sigma) == pytest.approx(closed, rel=1e-10)


@pytest.mark.parametrize(("mu", "sigma"), CASES[:4] + [((0.5, -1.0), (0.8, 1.5))])
def test_monte_carlo_estimate_lies_within_four_standard_errors(mu, sigma):
    mc = exercises.kl_monte_carlo(mu, sigma, n=20_000, seed=0)
    closed = exercises.kl_closed_form(mu, sigma)
    assert abs(mc["estimate"] - closed) < 4 * mc["stderr"]
    assert mc["running"][-1] == pytest.approx(mc["estimate"]) and mc["sizes"][-1] == 20_000
    sigma2 = np.square(np.atleast_1d(sigma))
    np.testing.assert_allclose(mc["centred_square"], sigma2, rtol=0.1)  # E (z − μ)² = σ²
    np.testing.assert_allclose(mc["square"], np.square(mu) + sigma2, rtol=0.1, atol=0.05)  # E z² = μ² + σ²
    assert mc["e_log_p"] == pytest.approx(exercises.kl_derivation(mu, sigma)["e_log_p"], rel=0.05)


CORRECT = ["0.5*sum(mu**2 + sigma**2 - 1 - log(sigma**2))",
           "sum(mu**2+sigma**2)/2 - len(mu)/2 - sum(log(sigma))",
           "np.sum(np.square(mu) + np.square(sigma) - 1 - 2*np.log(sigma)) / 2",
           "0.5*(dot(mu, mu) + dot(sigma, sigma)) - size(mu)/2 - log(prod(sigma))",
           "sum(-log(sigma) - 0.5 + 0.5*(mu**2 + sigma**2))",
           "mean(mu**2 + sigma**2 - 1 - log(sigma**2)) * len(sigma) / 2"]
WRONG = ["0.5*sum(mu**2 + sigma**2 - 1 - log(sigma))",  # log σ instead of log σ²
         "0.5*sum(mu**2 + sigma**2 - 1 - log(sigma**2)) + 1e-3",  # close but not equal
         "0.5*sum(mu**2 + sigma**2) - 1 - sum(log(sigma))",  # the −1 not summed over the dimensions
         "sum(mu**2)"]


@pytest.mark.parametrize("text", CORRECT)
def test_equivalent_correct_forms_are_accepted(text):
    verdict = exercises.check_kl_expression(text, first=((0.5, -1.0), (0.8, 1.5)))
    assert verdict.correct and verdict.status == "correct", verdict.message
    assert verdict.checked == exercises.CHECK_DRAWS and verdict.case is None


@pytest.mark.parametrize("text", WRONG)
def test_wrong_forms_are_rejected_at_the_first_failing_draw(text):
    verdict = exercises.check_kl_expression(text)
    assert verdict.status == "wrong" and "Not equal to the KL at draw" in verdict.message
    case = verdict.case
    assert case["expected"] == pytest.approx(exercises.kl_closed_form(case["mu"], case["sigma"]))
    assert not np.isclose(float(case["yours"]), case["expected"], rtol=exercises.RTOL)
    for mu, sigma in exercises.random_cases()[: case["draw"] - 1]:  # it held at every earlier draw
        assert np.isclose(exercises.safe_expr.evaluate(text, {"mu": mu, "sigma": sigma}),
                          exercises.kl_closed_form(mu, sigma), rtol=exercises.RTOL)


def test_a_form_that_holds_in_one_dimension_only_fails_in_two():
    """`- 1` instead of `- len(mu)` is right for d = 1 and wrong from d = 2 on: the draws vary d."""
    verdict = exercises.check_kl_expression("0.5*sum(mu**2 + sigma**2 - log(sigma**2)) - 0.5")
    assert verdict.status == "wrong" and len(verdict.case["mu"]) > 1


def test_a_vector_answer_gets_a_hint_to_sum():
    verdict = exercises.check_kl_expression("0.5*(mu**2 + sigma**2 - 1 - log(sigma**2))", first=((0.5, 1.0), (1, 2)))
    assert verdict.status == "wrong" and "one number" in verdict.message and verdict.case["draw"] == 1
    np.testing.assert_allclose(verdict.case["mu"], [0.5, 1.0])  # the student's own sliders come first


VECTOR_ANSWERS = ["mu", "0.5*(mu**2 + sigma**2 - 1 - log(sigma**2))", "sigma**2", "mu*0 + 1", "dot(mu, 1)",
                  "-log(sigma) - 0.5 + 0.5*(mu**2 + sigma**2)"]


@pytest.mark.parametrize("d", [1, 2, 3, 4])
@pytest.mark.parametrize("text", VECTOR_ANSWERS)
def test_a_vector_answer_is_wrong_with_a_hint_in_every_dimension(text, d):
    """At d = 1 such an answer has one entry (and the unsummed KL even the right value), yet it is a vector: a
    verdict, not the TypeError numpy 2.4 raises for float() of a 1-entry array."""
    mu, sigma = tuple(np.linspace(-0.5, 1.0, d)), tuple(np.linspace(0.8, 1.5, d))
    verdict = exercises.check_kl_expression(text, first=(mu, sigma))
    assert verdict.status == "wrong" and verdict.case["draw"] == 1 and verdict.checked == 1
    assert f"{d}-dimensional" in verdict.message and "a sum over the dimensions?" in verdict.message
    assert np.shape(verdict.case["yours"]) == (d,)


def test_a_vector_answer_is_wrong_at_the_first_random_draw_which_is_one_dimensional():
    assert len(exercises.random_cases()[0][0]) == 1
    verdict = exercises.check_kl_expression("mu")
    assert verdict.status == "wrong" and "1-dimensional" in verdict.message and "a sum" in verdict.message


@pytest.mark.parametrize("text", ["__import__('os')", "().__class__.__bases__", "open('x')", "mu.__class__",
                                  "9**9**9", "x" * 10_000, "lambda: 0", "[m for m in mu]", ""])
def test_hostile_input_is_refused_not_evaluated(text):
    verdict = exercises.check_kl_expression(text)
    assert verdict.status == "refused" and verdict.message.startswith("Not accepted:") and verdict.case is None


# --- 2. the VQ-VAE's KL -----------------------------------------------------------------------------------

@pytest.mark.parametrize("k", [2, 3, 16, 128, 512])
def test_one_hot_q_against_a_uniform_prior_has_kl_log_k(k):
    numbers = exercises.one_hot_kl(k)
    assert numbers["kl"] == pytest.approx(math.log(k), abs=1e-12)
    assert numbers["sum"] == math.log(k) and numbers["neg_entropy"] == 0.0


def small_vq(arch: str) -> tuple[torch.nn.Module, torch.Tensor]:
    torch.manual_seed(0)
    if arch == "conv":
        model = models.build("vqvae", None, hidden=(4, 8), code_dim=3, codebook_size=8)
        return model.eval(), torch.rand(6, 784)
    model = models.build("vqvae", None, arch="mlp", x_dim=5, image_shape=None, hidden=(8,), n_codes=3,
                         codebook_size=5, code_dim=2, likelihood="gaussian")
    return model.eval(), torch.randn(6, 5)


@pytest.mark.parametrize("arch", ["conv", "mlp"])
def test_the_models_kl_from_its_own_codes_is_n_positions_log_k(arch):
    model, x = small_vq(arch)
    numbers = exercises.vq_model_kl(model, x)
    expected = model.n_positions * math.log(model.config.codebook_size)
    assert numbers["expected"] == expected and numbers["codes"].shape == (6, *model.latent_shape)
    np.testing.assert_allclose(numbers["direct"], expected, rtol=1e-12)  # torch.distributions, float64
    np.testing.assert_allclose(numbers["reported"], expected, rtol=1e-6)  # its loss, float32
    assert int(model.quantizer.total_counts.sum()) == 0  # an eval-mode model is not mutated


@pytest.mark.skipif("mnist-vqvae" not in zoo.names(), reason="no pretrained mnist-vqvae: run pretrain")
def test_the_shipped_vqvae_pays_49_log_128(mnist_dir):
    model, x = zoo.load("mnist-vqvae").eval(), data.load("mnist", "test").x[:32]
    numbers = exercises.vq_model_kl(model, x)
    np.testing.assert_allclose(numbers["direct"], 49 * math.log(128), rtol=1e-12)
    np.testing.assert_allclose(numbers["reported"], 49 * math.log(128), rtol=1e-6)


@pytest.mark.parametrize("temperature", [0.03, 0.3, 3.0])
def test_soft_q_kl_is_log_k_minus_entropy_and_below_log_k(temperature):
    z_e, codebook = exercises.toy_codes(16, n=300, seed=2)
    numbers = exercises.soft_code_kl(z_e, codebook, temperature)
    np.testing.assert_allclose(numbers["kl"], numbers["log_k"] - numbers["entropy"], atol=1e-12)
    np.testing.assert_allclose(numbers["kl"], numbers["direct"], atol=1e-12)  # torch.distributions agrees
    assert (numbers["kl"] <= math.log(16) + 1e-12).all() and (numbers["kl"] >= 0).all()
    assert (numbers["kl"] < math.log(16)).mean() > 0.5  # = log K only where q is one-hot in float64
    assert numbers["kl"].std() > 1e-3  # unlike the one-hot KL it varies with the input


def test_soft_q_kl_falls_with_the_temperature_and_tends_to_log_k_as_it_vanishes():
    model, x = small_vq("conv")
    means = [exercises.vq_soft_kl(model, x, t)["kl"].mean() for t in (1e-6, 1e-3, 1e-1, 10.0)]
    assert all(a > b for a, b in zip(means, means[1:], strict=False))
    assert means[0] == pytest.approx(model.n_positions * math.log(8), rel=1e-3)


# --- 3. Gumbel-max and Gumbel-softmax -------------------------------------------------------------------

@pytest.mark.parametrize("logits", [LOGITS, (0.0, 0.0, 0.0), (3.0, -3.0, 0.5, 1.0, -1.0)])
def test_the_proofs_integral_equals_softmax(logits):
    expected = torch.tensor(logits, dtype=torch.float64).softmax(-1).numpy()
    np.testing.assert_allclose(exercises.gumbel_max_integral(logits), expected, atol=1e-6)


def test_gumbel_max_frequencies_pass_chi_square_for_p_and_fail_for_a_wrong_p():
    numbers = exercises.gumbel_max_check(LOGITS, n=20_000, seed=1)
    assert numbers["counts"].sum() == 20_000 and numbers["p_value"] > 0.001
    assert numbers["p_value_wrong"] < 1e-6
    slightly_wrong = numbers["probs"] + np.array([0.03, -0.03, 0.0, 0.0])
    assert gumbel.chi_square(numbers["counts"], slightly_wrong)[1] < 1e-6
    assert numbers["method"] == numbers["method_wrong"] == gumbel.CHI_SQUARE_METHOD


def test_small_expected_counts_make_the_exercise_p_values_monte_carlo():
    """Issue 20, item 5: 100 draws of θ = (3, −3, −3, −3) expect 0.25 of each rare category."""
    numbers = exercises.gumbel_max_check((3.0, -3.0, -3.0, -3.0), n=100, seed=1)
    assert numbers["method"] == numbers["method_wrong"] == gumbel.MONTE_CARLO_METHOD
    rows = exercises.relaxed_limit((3.0, -3.0, -3.0, -3.0), (1.0, 0.1), n=100, seed=1)["rows"]
    assert [row["method"] for row in rows] == [gumbel.MONTE_CARLO_METHOD] * 2


def test_gumbel_softmax_argmax_is_gumbel_max_and_its_mean_tends_to_p():
    taus = (10.0, 1.0, 0.1, 0.01)
    numbers = exercises.relaxed_limit(LOGITS, taus, n=20_000, seed=1)
    rows, probs = numbers["rows"], numbers["probs"]
    for row in rows:  # the argmax of y = softmax((θ + g)/τ) is argmax(θ + g) at every τ
        np.testing.assert_array_equal(row["frequencies"], rows[0]["frequencies"])
        assert row["p_value"] > 0.001
    tv = [row["tv_mean"] for row in rows]
    assert all(a > b for a, b in zip(tv, tv[1:], strict=False)) and tv[0] > 0.1 and tv[-1] < 0.02
    np.testing.assert_allclose(rows[-1]["mean"], rows[-1]["frequencies"], atol=2e-3)  # one-hot at small τ
    np.testing.assert_allclose(rows[-1]["mean"], probs, atol=0.02)
    assert rows[-1]["max_component"] > 0.99 > rows[0]["max_component"]


# --- 4. the assignment -------------------------------------------------------------------------------------

def test_reference_sources_are_the_real_code():
    sources = exercises.reference_sources()
    assert sources["VAE.loss"].startswith("def loss(") and "kl_normal_standard_per_unit" in sources["VAE.loss"]
    assert sources["Trainer.step"].startswith("def step(") and "backward()" in sources["Trainer.step"]
    assert sources["kl_normal_standard_per_unit"].lstrip().startswith("def kl_normal_standard_per_unit")
    assert sources["VAEConfig"].startswith("@dataclass(frozen=True)")


def test_the_reference_vae_trains_on_a_toy_set_and_draws_its_pictures():
    torch.set_num_threads(1)
    model = exercises.assignment_model(seed=0)
    assert model.config.z_dim == 2 and model.config.likelihood == "gaussian"
    train, test = data.load("moons", "train"), data.load("moons", "test")
    trainer = Trainer(model, train.x, exercises.assignment_config(steps=150), {"beta": 1.0}, x_test=test.x)
    history = trainer.run().history
    assert history[-1]["loss"] < history[0]["loss"] and "test_elbo" in history[-1]
    samples = exercises.prior_samples(model, 50, seed=4)
    assert samples.shape == (50, 2) and np.array_equal(samples, exercises.prior_samples(model, 50, seed=4))
    grid = exercises.decoded_grid(model, 5)
    assert grid.shape == (5, 5, 2)
    with torch.no_grad():
        np.testing.assert_allclose(grid[2, 2], model.decode_mean(torch.zeros(1, 2))[0].numpy(), rtol=1e-5)
        np.testing.assert_allclose(grid[0, 0], model.decode_mean(torch.tensor([[-2.5, -2.5]]))[0].numpy(), rtol=1e-5)
