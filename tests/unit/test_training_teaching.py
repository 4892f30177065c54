"""The default runs' teaching points as checks on a history (issue 23, item 8), on made-up rows."""

import math

import torch

from explorer.training import teaching


def test_codebook_in_use_needs_usage_and_dead_codes():
    check = teaching.codebook_in_use(64)
    assert not check({"step": 10, "perplexity": 2.0, "unused_codes": 60.0})
    assert check({"step": 300, "perplexity": 8.5, "unused_codes": 40.0})
    assert not check({"step": 300, "perplexity": 30.0, "unused_codes": 5.0})  # healthy: no dead codes to show


def test_collapse_counts_only_after_training_a_while():
    check = teaching.codebook_collapsed(512)
    assert not check({"step": 10, "perplexity": 3.0, "unused_codes": 500.0})
    assert check({"step": teaching.COLLAPSE_AFTER, "perplexity": 3.0, "unused_codes": 500.0})
    assert not check({"step": 400, "perplexity": 200.0, "unused_codes": 100.0})


def test_elbo_settled_against_the_final_value():
    history = [{"step": 0, "test_elbo": -540.0}, {"step": 50, "loss": 200.0}, {"step": 100, "test_elbo": -170.0},
               {"step": 200, "test_elbo": -158.0}, {"step": 300, "test_elbo": -152.0}]
    final = teaching.final_elbo(history)
    assert final == -152.0
    assert teaching.reached(history, teaching.elbo_settled(final))["step"] == 200
    assert math.isnan(teaching.final_elbo([{"step": 0}]))


def test_the_prior_must_beat_the_unigram_entropy():
    codes = torch.tensor([[0, 0, 1, 1]])  # two codes, equally often: log 2 nats
    unigram = teaching.unigram_entropy(codes, 4)
    assert abs(unigram - math.log(2)) < 1e-9
    history = [{"step": 0, "test_nats_per_token": 1.4}, {"step": 50, "test_nats_per_token": 0.6}]
    assert teaching.reached(history, teaching.beats_unigram(unigram))["step"] == 50
    assert teaching.reached(history[:1], teaching.beats_unigram(unigram)) is None
