"""Issue 20, item 15: the Latent space page shows the loss its autoencoders were trained with. It wrote
min ‖x − g(f(x))‖; the shipped AEs minimise the Bernoulli cross-entropy (`reconstruction_nll`)."""

from __future__ import annotations

import json
from pathlib import Path

import torch
from apptest import open_page

from explorer import data
from explorer.lecture.notes_gaussian import LATENT_SPACE_OBJECTIVES
from explorer.models.ae import AEConfig, Autoencoder

ROOT = Path(__file__).resolve().parents[2]
ABOUT = "About this page"
CROSS_ENTROPY = r"x_i \log \hat x_i + (1 - x_i) \log(1 - \hat x_i)"


def test_the_page_shows_the_cross_entropy_the_autoencoders_minimise(mnist_dir):
    at = open_page("latent_space.py")
    about = next(e for e in at.expander if e.label == ABOUT)  # the introduction sits below the view (issue 22)
    equations = [x.value.strip("$\n") for x in about.latex]  # st.latex wraps the TeX in $$ lines
    (shown,) = [tex for tex in equations if r"\text{VAE: }" in tex]
    assert shown == LATENT_SPACE_OBJECTIVES
    autoencoder = shown.split(r"\text{VAE: }")[0]
    assert CROSS_ENTROPY in autoencoder and r"\hat x = g(f(x))" in autoencoder and r"\|x - g(f(x))\|" not in autoencoder


def test_the_autoencoders_loss_is_that_cross_entropy_on_a_batch():
    batch = data.load("digits", "test").x[:64]
    torch.manual_seed(0)
    model = Autoencoder(AEConfig(x_dim=64, z_dim=2, hidden=(32,), image_shape=(8, 8)))
    with torch.no_grad():
        x_hat = torch.sigmoid(model.decoder(model.encoder(batch)))  # x̂ = g(f(x)), the decoder's Bernoulli means
        cross_entropy = -(batch * x_hat.log() + (1 - batch) * (1 - x_hat).log()).sum(1)
        torch.testing.assert_close(model.loss(batch, reduce=False)["loss"], cross_entropy, rtol=1e-5, atol=1e-4)
        torch.testing.assert_close(model.loss(batch)["loss"], cross_entropy.mean(), rtol=1e-5, atol=1e-4)


def test_the_shipped_autoencoders_are_bernoulli():
    for name in ("digits-ae-2d", "mnist-ae-2d"):
        config = json.loads((ROOT / "pretrained" / f"{name}.json").read_text())["config"]
        assert config["likelihood"] == "bernoulli", name
    assert data.load("digits", "test").likelihood == "bernoulli"
