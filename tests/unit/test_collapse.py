"""Posterior collapse: the linear-VAE threshold on both constructed cases, and which remedy works where."""

import numpy as np
import pytest

from explorer import data
from explorer.analysis import collapse
from explorer.training import sweep


def test_linear_vae_threshold_on_the_moons_case():
    """Two moons' principal variances are ≈ 1.44 and 0.56: βσ² = 2.25 keeps neither, σ = 1 keeps one."""
    variances = collapse.variances("optimum")
    assert variances[0] > variances[1]
    assert sweep.directions_kept(variances, 1.0, collapse.CASES["optimum"].config.decoder_sigma) == 0
    assert sweep.directions_kept(variances, 1.0, 1.0) == 1
    assert sweep.directions_kept(variances, 1.0, 0.5) == 2
    assert sweep.directions_kept(variances, 4.0, 0.5) == 1  # β = 4 at σ = 0.5 acts like σ = 1


def test_the_clusters_put_no_direction_above_the_threshold_but_much_variance_in_all():
    variances = collapse.variances("trap")
    sigma = collapse.CASES["trap"].config.decoder_sigma
    assert variances.max() < 0.8 < sigma**2  # every direction collapses in the linear analysis
    assert abs(np.median(variances) - data.CLUSTER_VARIANCE) < 0.05  # spread evenly (finite-sample wobble)
    assert variances.sum() > 35  # ...while naming the cluster could save up to Σλ / 2σ² ≈ 19 nats
    assert sweep.directions_kept(variances, 1.0, sigma) == 0


@pytest.mark.slow
def test_where_collapse_is_the_optimum_warm_up_cannot_help_and_free_bits_can():
    results = collapse.demo("optimum", {**collapse.REMEDIES, "sigma 1": {"decoder_sigma": 1.0}})
    none, warm, free = (results[label] for label in collapse.REMEDIES)
    for collapsed in (none, warm):
        assert collapsed["active_units"] == 0 and collapsed["collapsed"].all() and collapsed["rate"] < 0.05
    assert free["active_units"] == 4 and not free["collapsed"].any() and (free["kl_per_unit"] > 0.3).all()
    assert free["squared_error"] < 0.5 * none["squared_error"]
    assert results["sigma 1"]["active_units"] == 1  # as the linear-VAE threshold predicts


@pytest.mark.slow
def test_where_collapse_is_a_trap_warm_up_escapes_it_to_a_better_elbo():
    results = collapse.demo("trap", {**collapse.REMEDIES, "longer, no remedy": {"steps": 2000}})
    none, warm, free = (results[label] for label in collapse.REMEDIES)
    for trapped in (none, results["longer, no remedy"]):  # the collapsed state is stable: more steps stay there
        assert trapped["active_units"] == 0 and trapped["collapsed"].all() and trapped["rate"] < 0.05
    for escaped in (warm, free):
        assert escaped["active_units"] == 4 and not escaped["collapsed"].any() and escaped["rate"] > 2.0
    assert warm["elbo"] > none["elbo"] + 2.0  # not a different objective: the same ELBO, a better optimum
    assert warm["squared_error"] < 0.6 * none["squared_error"]
