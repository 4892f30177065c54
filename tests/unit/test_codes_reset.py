"""Issue 20, item 9: with dead-code reset on, a code is moved in the very step it reaches the window, so
`usage()["dead_codes"]` is always 0 and a dying codebook looked healthy. The resets are counted instead: per
step and in total by the quantizer, as a loss term the trainer logs, and as a curve on the VQ-VAE page."""

from __future__ import annotations

import numpy as np
import torch

from explorer import models
from explorer.analysis import vq
from explorer.figures import vq as figures
from explorer.models.quantizer import VectorQuantizer
from explorer.training.train import TrainConfig, Trainer

FAR_CODES = torch.tensor([[0.0, 0.0], [50.0, 50.0], [-50.0, 50.0], [50.0, -50.0]])


def starved_quantizer(window: int) -> VectorQuantizer:
    """Four codes, three of them far from every encoder output: they die unless reset."""
    quantizer = VectorQuantizer(4, 2, dead_code_reset_steps=window).train()
    with torch.no_grad():
        quantizer.codebook.copy_(FAR_CODES)
    return quantizer


def test_resets_are_counted_where_dead_codes_read_zero():
    torch.manual_seed(0)
    quantizer = starved_quantizer(window=3)
    z_e = 0.1 * torch.randn(32, 2)
    for _ in range(2):
        quantizer(z_e)
    assert quantizer.usage()["codes_reset"] == 0 and quantizer.usage()["total_codes_reset"] == 0
    quantizer(z_e)  # the third step without use: codes 1-3 reach the window and are moved
    usage = quantizer.usage()
    assert usage["dead_codes"] == 0  # what hid them
    assert usage["codes_reset"] == 3 and usage["total_codes_reset"] == 3
    quantizer(z_e)
    assert quantizer.usage()["total_codes_reset"] >= 3


def test_a_count_of_resets_is_not_saved_so_shipped_checkpoints_keep_their_keys():
    quantizer = starved_quantizer(window=3)
    assert not {"codes_reset", "total_codes_reset"} & set(quantizer.state_dict())


def test_the_trainer_logs_codes_reset_and_the_page_sums_them_per_logged_window():
    torch.manual_seed(0)
    options = dict(x_dim=64, image_shape=(8, 8), hidden=(6,), code_dim=3, codebook_size=32, dead_code_reset_steps=2)
    model = models.build("vqvae", None, **options)
    x = torch.rand(64, 64, generator=torch.Generator().manual_seed(1))
    config = TrainConfig(steps=40, batch_size=16, log_every=5, eval_every=1000, seed=0)
    state = Trainer(model, x, config, {"commitment_beta": 0.25}).run()
    history = vq.usage_history(state.history, steps_per_row=config.log_every)
    assert history["codes_reset"].sum() == model.usage()["total_codes_reset"] > 0  # every reset, once
    assert "codes_reset" not in model.eval().loss(x)  # held-out numbers (test_*) do not train, so reset nothing


def test_without_resets_the_history_has_no_reset_curve():
    rows = [{"step": 10, "perplexity": 3.5, "unused_codes": 12.0}]
    assert np.isnan(vq.usage_history(rows, steps_per_row=10)["codes_reset"]).all()
    fig = figures.usage_curves(np.array([10]), np.array([3.5]), np.array([12.0]), 16,
                               codes_reset=np.array([np.nan]))
    assert [trace.name for trace in fig.data] == ["perplexity", "dead codes"]


def test_the_live_curves_show_the_resets():
    fig = figures.usage_curves(np.array([10, 20]), np.array([4.0, 9.0]), np.array([50, 20]), 64,
                               unused_name="unused in the batch", codes_reset=np.array([6.0, 0.0]),
                               reset_name="codes reset per 10 steps")
    assert [trace.name for trace in fig.data] == ["perplexity", "unused in the batch", "codes reset per 10 steps"]
    assert list(fig.data[2].y) == [6.0, 0.0]
