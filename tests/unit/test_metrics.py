"""Collapse diagnostics, MIG, traversals and rate-distortion on hand-set models and built codes."""

import numpy as np
import pytest
import torch
from sklearn.metrics import mutual_info_score

from explorer.data import Dataset, load
from explorer.data.sprites import sample_factors
from explorer.maths import metrics
from explorer.maths.objectives import kl_normal_standard
from explorer.models import build

N = 5000


def uniform_factors(n: int = N, seed: int = 0) -> np.ndarray:
    """(n, 3): a 3-class factor and two continuous ones, independent."""
    rng = np.random.default_rng(seed)
    return np.column_stack([rng.integers(0, 3, n), rng.random(n), rng.normal(size=n)])


# --- MIG on constructed codes ---------------------------------------------------------------------

def test_mi_matches_sklearn_on_the_same_discretization():
    rng = np.random.default_rng(1)
    a = rng.normal(size=2000)
    b = a + rng.normal(size=2000)
    bins_a, bins_b = metrics.discretize(a, 20), metrics.discretize(b, 20)
    assert bins_a.min() == 0 and bins_a.max() == 19
    assert metrics.discrete_mutual_information(bins_a, bins_b) == pytest.approx(mutual_info_score(bins_a, bins_b))
    assert metrics.discrete_mutual_information(bins_a, bins_a) == pytest.approx(metrics.discrete_entropy(bins_a))

    factors = uniform_factors(2000)
    result = metrics.mutual_information_gap(np.column_stack([a, b]), factors)
    labels = metrics.factor_labels(factors, result["discrete"], 20)
    for j, column in enumerate((bins_a, bins_b)):
        for k in range(3):
            assert result["mi"][j, k] == pytest.approx(mutual_info_score(column, labels[:, k]))


def test_codes_that_each_copy_one_factor_give_mig_near_one():
    factors = uniform_factors()
    noise = np.random.default_rng(2).normal(size=(N, 3))
    result = metrics.mutual_information_gap(np.column_stack([factors, noise]), factors)
    assert result["mig"] > 0.9, result["gaps"]
    assert result["mi"].shape == (6, 3) and result["gaps"].shape == (3,)
    assert result["discrete"] == (True, False, False)
    np.testing.assert_allclose(result["factor_entropies"][0], np.log(3), atol=0.01)


def test_pure_noise_codes_give_mig_near_zero():
    noise = np.random.default_rng(3).normal(size=(N, 6))
    assert metrics.mutual_information_gap(noise, uniform_factors())["mig"] < 0.05


def test_a_factor_copied_into_two_units_has_no_gap():
    factors = uniform_factors()
    codes = np.column_stack([factors[:, 1], factors[:, 1], factors[:, 2]])
    gaps = metrics.mutual_information_gap(codes, factors)["gaps"]
    assert abs(gaps[1]) < 0.01 and gaps[2] > 0.9 and gaps[0] < 0.05


def test_one_unit_has_a_runner_up_of_zero_and_a_constant_factor_is_left_out():
    factors = uniform_factors()
    factors[:, 2] = 4.0
    result = metrics.mutual_information_gap(factors[:, 1:2], factors)
    assert result["gaps"][1] == pytest.approx(1.0) and np.isnan(result["gaps"][2])
    assert result["mig"] == pytest.approx(np.nanmean(result["gaps"]))


def test_sprites_shape_is_discrete_and_the_rest_continuous():
    factors = sample_factors(2000, 0).numpy()
    result = metrics.mutual_information_gap(factors, factors)
    assert result["discrete"] == (True, False, False, False, False)
    with pytest.raises(ValueError, match="flags"):
        metrics.mutual_information_gap(factors, factors, discrete=(True, False))


# --- models with hand-set weights -----------------------------------------------------------------

LOGVAR_UNIT_1 = float(np.log(0.25))
MU_UNIT_3 = 0.5


def hand_set_vae():
    """x (16) -> hidden = x[:8] -> mu = (x0, x1, 0, 0.5), logvar = (0, log 0.25, 0, 0).

    Units 0 and 1 follow the input; units 2 and 3 ignore it (2 sits at the prior, 3 does not).
    """
    model = build("vae", None, x_dim=16, z_dim=4, hidden=(8,), image_shape=(4, 4))
    first, last = model.encoder[0], model.encoder[-1]
    with torch.no_grad():
        first.weight.zero_()
        first.weight[:, :8] = torch.eye(8)  # ReLU(x_i) = x_i for pixels in [0, 1]
        first.bias.zero_()
        last.weight.zero_()
        last.weight[0, 0] = last.weight[1, 1] = 1.0
        last.bias.zero_()
        last.bias[3], last.bias[4 + 1] = MU_UNIT_3, LOGVAR_UNIT_1
    return model


def pixels(n: int = 2000, seed: int = 0) -> torch.Tensor:
    return torch.rand(n, 16, generator=torch.Generator().manual_seed(seed))


def test_units_with_constant_means_are_inactive():
    mask, activity = metrics.active_units(hand_set_vae(), pixels())
    assert mask.tolist() == [True, True, False, False]
    np.testing.assert_allclose(activity[:2], 1 / 12, rtol=0.1)  # variance of U(0, 1)
    np.testing.assert_allclose(activity[2:], 0.0, atol=1e-12)


def test_kl_per_unit_matches_the_closed_form():
    x = pixels()
    kl = metrics.kl_per_unit(hand_set_vae(), x, batch_size=300)
    x0, x1 = x[:, 0].double().numpy(), x[:, 1].double().numpy()
    expected = [np.mean(0.5 * x0**2),
                np.mean(0.5 * (x1**2 + 0.25 - 1 - LOGVAR_UNIT_1)),
                0.0,  # mu = 0, logvar = 0: q is the prior
                0.5 * MU_UNIT_3**2]
    np.testing.assert_allclose(kl, expected, rtol=1e-5, atol=1e-7)


def test_only_the_unit_at_the_prior_is_collapsed():
    assert metrics.collapsed_units(hand_set_vae(), pixels()).tolist() == [False, False, True, False]


def test_mig_of_a_model_whose_units_read_the_factors():
    factors = uniform_factors(2000)
    x = np.zeros((2000, 16), dtype=np.float32)
    x[:, :3] = factors - factors.min(axis=0)  # >= 0, so the ReLU passes it
    dataset = Dataset("made-up", "train", x=torch.from_numpy(x), labels=None,
                      factors=torch.from_numpy(factors.astype(np.float32)), factor_names=("class", "u", "g"),
                      image_shape=None, likelihood="gaussian", source="test")
    model = hand_set_vae()
    with torch.no_grad():
        model.encoder[-1].weight[2, 2] = 1.0  # unit 2 now reads the third factor
    result = metrics.mig_of_model(model, dataset, n=1500)
    assert result["mig"] > 0.9 and result["factor_names"] == ("class", "u", "g")
    with pytest.raises(ValueError, match="no ground-truth factors"):
        metrics.mig_of_model(model, load("moons", "test"))


def test_latent_traversal_moves_one_unit_at_a_time():
    torch.manual_seed(0)
    model = build("vae", None, x_dim=16, z_dim=4, hidden=(8,), image_shape=(4, 4))
    with torch.no_grad():
        model.decoder[0].weight[:, 3] = 0.0  # the decoder ignores unit 3
    x = pixels(1)[0]
    values = np.linspace(-2, 2, 5)
    grid = metrics.latent_traversal(model, x, values)
    assert grid.shape == (4, 5, 16)

    with torch.no_grad():
        mean = model.encode(x[None]).mean[0]
    for unit in range(4):
        codes = mean.repeat(5, 1)
        codes[:, unit] = torch.as_tensor(values, dtype=torch.float32)
        np.testing.assert_allclose(grid[unit], model.decode_mean(codes).numpy(), rtol=1e-5, atol=1e-6)
    # The other units stay at the mean: traversing an ignored unit changes nothing ...
    np.testing.assert_allclose(grid[3], np.broadcast_to(model.decode_mean(mean[None]).numpy(), (5, 16)), atol=1e-6)
    # ... and a traversal that passes through a unit's mean decodes the mean itself.
    at_mean = metrics.latent_traversal(model, x, [float(mean[1])])
    np.testing.assert_allclose(at_mean[1, 0], model.decode_mean(mean[None])[0].numpy(), atol=1e-6)


def test_rate_and_distortion_add_up_to_minus_the_elbo():
    torch.manual_seed(0)
    model = build("vae", None, x_dim=16, z_dim=4, hidden=(8,), image_shape=(4, 4))
    x = pixels(500)
    torch.manual_seed(1)
    terms = metrics.rate_distortion(model, x)
    torch.manual_seed(1)
    elbo = model.loss(x, beta=1.0)["elbo"].item()
    assert terms["rate"] + terms["distortion"] == pytest.approx(-elbo, rel=1e-5)
    assert terms["elbo"] == pytest.approx(elbo, rel=1e-5)
    with torch.no_grad():
        mu, logvar = model.encoder_params(x)
        assert terms["rate"] == pytest.approx(kl_normal_standard(mu, logvar).mean().item(), rel=1e-5)
        squared_error = (x - model.decode_mean(mu)).pow(2).sum(dim=1).mean().item()
    assert terms["squared_error"] == pytest.approx(squared_error, rel=1e-5)

    # More draws average the same distortion: the estimates agree within their Monte-Carlo error.
    many = metrics.rate_distortion(model, x, n_samples=20, batch_size=128)
    assert many["rate"] == pytest.approx(terms["rate"], rel=1e-5)
    assert many["distortion"] == pytest.approx(terms["distortion"], rel=0.02)


def test_a_gaussian_distortion_is_a_scaled_error_plus_the_log_normaliser():
    """Issue 20, item 8: −log N(x; x̂, σ²I) = ‖x − x̂‖²/(2σ²) + (d/2)·log(2πσ²), the second part negative for
    σ < 1/√(2π): why the β page's distortion read −950 nats on 28×28 sprites at σ = 0.1."""
    generator = torch.Generator().manual_seed(0)
    x, mean = torch.rand(5, 784, generator=generator), torch.rand(5, 784, generator=generator)
    parts = metrics.gaussian_distortion_parts(x, mean, 0.1)
    nll = -torch.distributions.Normal(mean, 0.1).log_prob(x).sum(-1)
    torch.testing.assert_close(parts["scaled_error"] + parts["log_normaliser"], nll)
    torch.testing.assert_close(parts["scaled_error"], (x - mean).pow(2).sum(-1) / 0.02)
    assert parts["log_normaliser"][0].item() == pytest.approx(-1084.8, abs=0.1)  # nats per image
    assert metrics.gaussian_log_normaliser(784, 1 / np.sqrt(2 * np.pi)) == pytest.approx(0.0, abs=1e-9)
    assert metrics.gaussian_log_normaliser(784, 0.5) > 0


def test_the_split_of_a_gaussian_vae_distortion_is_its_expected_scaled_error():
    torch.manual_seed(0)
    model = build("vae", None, x_dim=16, z_dim=4, hidden=(8,), image_shape=(4, 4), likelihood="gaussian",
                  decoder_sigma=0.1)
    x = pixels(500)
    distortion = metrics.rate_distortion(model, x, n_samples=20, generator=torch.Generator().manual_seed(1))
    split = metrics.split_gaussian_distortion(distortion["distortion"], 16, 0.1)
    assert split["scaled_error"] + split["log_normaliser"] == pytest.approx(distortion["distortion"])
    with torch.no_grad():  # E_q ‖x − x̂(z)‖²/(2σ²) by our own draws of q
        z = model.encode(x).rsample((20,))
        by_hand = metrics.gaussian_distortion_parts(x, model.decode_mean(z), 0.1)["scaled_error"].mean().item()
    assert split["scaled_error"] == pytest.approx(by_hand, rel=0.03)
    assert split["scaled_error"] > 0 > split["log_normaliser"]
