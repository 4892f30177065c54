"""Training-history charts (issue 22): legends in words with units, never a history's column names (`test_elbo`,
`recon`), and the loss terms (~+150 nats) and the ELBO (~−150) on separate axes, not one that squashes both."""

from __future__ import annotations

import pytest

from explorer.figures.bounds import gap_history_figure
from explorer.figures.curves import training_curves
from explorer.figures.exercises import loss_curve_figure

CALLERS = {  # the keys each page's live chart draws
    "latent space, VAE": ("loss", "recon", "kl", "test_elbo"),
    "latent space, AE": ("loss", "test_recon"),
    "assignment": ("loss", "recon", "kl", "test_recon", "test_kl"),
    "tokens and priors": ("nats_per_token", "test_nats_per_token"),
}
RAW = {"loss", "recon", "kl", "elbo", "test_elbo", "test_recon", "test_kl", "nats_per_token", "test_nats_per_token"}


def history(keys: tuple[str, ...]) -> list[dict]:
    """Rows as a trainer writes them: training terms each step, held-out numbers every fourth."""
    rows = []
    for step in range(0, 200, 10):
        row = {"step": step, **{k: 150.0 - step / 10 for k in keys if not k.startswith("test_")}}
        if step % 40 == 0:
            row |= {k: (-150.0 if k == "test_elbo" else 140.0) + step / 10 for k in keys if k.startswith("test_")}
        rows.append(row)
    return rows


@pytest.mark.parametrize("keys", CALLERS.values(), ids=CALLERS.keys())
def test_every_legend_entry_is_words_with_a_unit(keys):
    fig = training_curves(history(keys), keys, "Loss terms", yaxis_title="nats per sample")
    names = [trace.name for trace in fig.data]
    assert len(names) == len(keys)
    assert not [n for n in names if n in RAW or "_" in n], names
    assert all("nats" in name for name in names), names


def test_the_elbo_has_an_axis_of_its_own_apart_from_the_loss_terms():
    keys = CALLERS["latent space, VAE"]
    fig = training_curves(history(keys), keys, "Loss terms")
    axis_of = {trace.name.split(" (")[0]: trace.yaxis or "y" for trace in fig.data}
    assert axis_of["held-out ELBO"] == "y2"
    assert {axis_of[name] for name in ("training loss", "reconstruction", "KL(q ‖ p)")} == {"y"}
    top, bottom = fig.layout.yaxis.domain, fig.layout.yaxis2.domain
    assert bottom[1] < top[0], "the two axes overlap"
    assert all(trace.x[0] == 0 for trace in fig.data)  # one step axis for both


def test_a_fitted_loss_axis_leaves_the_elbo_axis_alone():
    keys = ("loss", "recon", "kl", "test_elbo")
    fig = loss_curve_figure(history(keys), keys)
    low, high = fig.layout.yaxis.range
    assert low > 0 and fig.layout.yaxis2.range is None  # the loss terms' range holds no ELBO


def test_the_gap_history_names_its_curves_with_their_unit():
    fig = gap_history_figure({"step": [1, 2], "heldout_log_px": [-5.0, -4.0], "heldout_elbo": [-6.0, -4.5]})
    assert [trace.name for trace in fig.data] == ["held-out log p(x), exact (nats per image)",
                                                   "held-out ELBO (nats per image)"]
