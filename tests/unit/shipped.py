"""Shipped models that several unit tests check against, skipping with a reason where they are absent."""

from __future__ import annotations

import pytest


def shipped_mnist_vae_2d():
    """The shipped 2-D MNIST VAE and MNIST's held-out images, binarised as every log p(x) of a Bernoulli decoder is
    (`likelihood.scored_input`); skips, saying why, when either is missing."""
    from explorer import data
    from explorer.maths import likelihood
    from explorer.store import zoo

    if "mnist-vae-2d" not in zoo.names():
        pytest.skip("the zoo has no 'mnist-vae-2d': run `python -m explorer pretrain`")
    try:
        test_images = data.load("mnist", "test").x
    except data.DatasetUnavailable as err:
        pytest.skip(f"MNIST is not available here: {err}")
    model = zoo.load("mnist-vae-2d")
    return model, likelihood.scored_input(model, test_images)
