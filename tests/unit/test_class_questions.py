"""The class's predict-then-reveal questions (issue 24, item 3): each fits the room's backend and its page, and each
truth agrees with a closed form or a computation made another way."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from explorer.analysis import class_truths, elbo_report
from explorer.classroom.questions import answer_value, question_spec
from explorer.data import load
from explorer.lecture import questions
from explorer.maths import latent
from explorer.store import zoo
from explorer.training import sweep
from explorer.ui import outline


@pytest.mark.parametrize("question", questions.QUESTIONS, ids=lambda q: q.id)
def test_every_question_fits_the_backend_and_its_page(question):
    assert question_spec(question.kind, question.spec()) == question.spec()
    assert question.tab in outline.BY_STEM[question.page].labels
    assert len(questions.QUESTIONS) >= 5 and len(questions.BY_ID) == len(questions.QUESTIONS)


def test_the_current_pages_questions_come_first():
    listed = questions.for_page("vq_vae")
    assert listed[0].page == "vq_vae" and set(listed) == set(questions.QUESTIONS)


STUBS = {  # fast stand-ins for the measurements: each truth's value must fit its question
    "prior_on_map": {"disc_share": 0.02, "beyond": 0.01, "beyond_error": 0.002, "samples": 2000, "codes": 1000,
                     "spacing": 0.2, "extent": (-10, 10, -10, 10)},
    "gap_of_heldout": {"gap": 7.5, "kl_to_posterior": 7.5, "log_px": -100.0, "elbo": -107.5, "error_estimate": 1e-3},
    "rate_of_pretrained": {"rate": 4.9, "active_units": 3, "units": 10, "images": 1000},
    "alive_codes": {"alive": 7, "perplexity": 3.2, "codebook_size": 512, "images": 500, "steps": 200,
                    "dataset": "mnist"},
    "largest_softmax_entry": {"taus": questions.TAU_OPTIONS, "mean": (0.98, 0.92, 0.81, 0.68, 0.54, 0.42),
                              "error": (0.002,) * 6, "samples": 1500},
    "blank_image_code": (9.0, 0.5),
}


@pytest.mark.parametrize("question", questions.QUESTIONS, ids=lambda q: q.id)
def test_every_truth_fits_its_question(question, monkeypatch):
    for name, found in STUBS.items():
        monkeypatch.setattr(class_truths, name, lambda *args, found=found, **kwargs: found)
    truth = question.truth()
    assert answer_value(question.kind, question.spec(), truth.value) == truth.value  # clamped into range
    assert truth.how and truth.label
    if question.kind == "slider":
        assert question.unit.split()[0] in truth.label


def test_the_stubbed_truths_read_their_numbers(monkeypatch):
    for name, found in STUBS.items():
        monkeypatch.setattr(class_truths, name, lambda *args, found=found, **kwargs: found)
    assert questions.BY_ID["ae_prior_map"].truth().value == 1  # a 2 % disc: "a small patch"
    assert questions.BY_ID["gap_nats"].truth().value == 5.0  # 7.5 nats, clamped to the slider's end
    assert questions.BY_ID["gap_nats"].truth().label == "7.50 nats"
    assert questions.BY_ID["tau_one_hot"].truth().value == 1  # τ = 0.2: the largest at 0.9 or more
    assert questions.BY_ID["vae_blank_code"].truth().value == [4.0, 0.5]


def test_prior_samples_land_in_a_small_patch_of_the_aes_map_and_over_the_vaes():
    ae, vae = class_truths.prior_on_map("digits-ae-2d"), class_truths.prior_on_map("digits-vae-2d")
    x0, x1, y0, y1 = ae["extent"]
    assert x0 < -3 < 3 < x1 and y0 < -3 < 3 < y1  # the disc lies inside the box: its share is π·3² / area
    assert ae["disc_share"] == pytest.approx(9 * math.pi / ((x1 - x0) * (y1 - y0)), rel=0.03)
    assert questions.prior_on_ae_map(questions.BY_ID["ae_prior_map"], "digits-ae-2d").value == 1
    assert questions.prior_on_ae_map(questions.BY_ID["ae_prior_map"], "digits-vae-2d").value == 0
    assert vae["disc_share"] > 0.5


def test_samples_beyond_every_code_counted_another_way():
    found = class_truths.prior_on_map("digits-ae-2d", samples=500)
    model = zoo.load("digits-ae-2d")
    codes = latent.encode_means(model, load("digits", "test").x[:2000]).astype(np.float64)
    between = np.sqrt(((codes[:, None] - codes[None]) ** 2).sum(-1)) + np.diag(np.full(len(codes), np.inf))
    spacing = np.median(between.min(axis=1))
    draws = torch.randn(500, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64).numpy()
    nearest = np.sqrt(((draws[:, None] - codes[None]) ** 2).sum(-1)).min(axis=1)
    assert found["beyond"] == pytest.approx(float((nearest > 3 * spacing).mean()))
    assert found["spacing"] == pytest.approx(spacing, rel=1e-6)


def test_the_gap_is_the_elbo_pages_and_kl_to_the_posterior():
    found = class_truths.gap_of_heldout("moons-vae-2d", 0)
    report = elbo_report.report(zoo.load("moons-vae-2d"), load("moons", "test").x[0])
    assert found["gap"] == pytest.approx(report["gap"], abs=1e-9)
    assert found["gap"] == pytest.approx(found["kl_to_posterior"], abs=0.01)


def test_the_gap_of_the_pages_mnist_image(mnist_dir):
    found = class_truths.gap_of_heldout(questions.GAP_MODEL, questions.GAP_IMAGE)
    assert 0 <= found["gap"] <= 5 and found["gap"] == pytest.approx(found["kl_to_posterior"], abs=0.01)


def test_the_rate_is_the_closed_form_kl_averaged_over_held_out_images():
    found = class_truths.rate_of_pretrained(questions.BETA_MODEL)
    model = zoo.load(questions.BETA_MODEL)
    with torch.no_grad():
        mu, logvar = model.encoder_params(load("sprites", "test").x[: sweep.EVAL_SIZE])
    by_hand = 0.5 * (mu.double() ** 2 + logvar.double().exp() - 1 - logvar.double()).sum(-1).mean()
    assert found["rate"] == pytest.approx(float(by_hand), rel=1e-4)
    assert 0 <= found["active_units"] <= found["units"] == 10


def test_the_largest_entry_against_the_closed_form_for_two_equal_categories():
    """With θ = (0, 0) a sample is (σ(L/τ), σ(−L/τ)), L = g₁ − g₂ logistic: E max = 2∫₀^∞ σ(l/τ) f(l) dl."""
    taus = (0.1, 0.5, 1.0, 2.0)
    found = class_truths.largest_softmax_entry((0.0, 0.0), taus, samples=4000)
    logistic = np.linspace(0.0, 60.0, 600_001)  # L ≥ 0
    density = np.exp(-logistic) / (1 + np.exp(-logistic)) ** 2
    for tau, mean, error in zip(taus, found["mean"], found["error"], strict=True):
        exact = 2 * np.trapezoid(density / (1 + np.exp(-logistic / tau)), logistic)
        assert abs(mean - exact) < 4 * error, (tau, mean, exact, error)
    assert list(found["mean"]) == sorted(found["mean"], reverse=True)


def test_the_one_hot_tau_is_clear_of_its_threshold():
    found = class_truths.largest_softmax_entry(questions.GUMBEL_LOGITS, questions.TAU_OPTIONS)
    index = questions.one_hot_tau(questions.BY_ID["tau_one_hot"]).value
    assert found["mean"][index] - questions.ONE_HOT > 3 * found["error"][index]
    assert questions.ONE_HOT - found["mean"][index + 1] > 3 * found["error"][index + 1]


def test_the_blank_images_code_is_the_encoders_mean():
    z = class_truths.blank_image_code("digits-vae-2d")
    model = zoo.load("digits-vae-2d")
    with torch.no_grad():
        mu, _ = model.encoder_params(torch.zeros(1, 64))
    assert z == pytest.approx(tuple(mu[0].tolist()), abs=1e-6)


def test_alive_codes_of_a_short_run_count_the_codes_held_out_images_use():
    found = class_truths.alive_codes("digits", codebook_size=64, steps=3, images=100)
    assert 1 <= found["alive"] <= 64 and found["images"] == 100
    assert found["perplexity"] <= found["alive"] + 1e-6  # exp(entropy) of a usage over `alive` codes
    class_truths.alive_codes.cache_clear()
    assert class_truths.alive_codes("digits", codebook_size=64, steps=3, images=100) == found  # deterministic


@pytest.mark.slow
def test_the_codebook_collapse_run_leaves_most_codes_dead(mnist_dir):
    found = class_truths.alive_codes(questions.VQ_DATASET, questions.VQ_CODES, questions.VQ_STEPS)
    assert found["alive"] < questions.VQ_CODES / 8  # the preset's teaching point (`training.teaching`)
