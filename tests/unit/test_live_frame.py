"""The live latent map keeps its frame for the whole run (issue 23 item 3): a VAE's is ±4 around its prior's
1σ/2σ/3σ circles whatever its codes do, so β = 0 and β = 10 are seen as different spreads, not as different tick
labels; an AE's (no prior) only ever grows; codes beyond the frame are drawn on its edge and counted."""

from __future__ import annotations

import numpy as np
import pytest

from explorer.figures.latent import PRIOR_FRAME, latent_map, live_frame, outside


def codes(spread: float, n: int = 500, seed: int = 0) -> np.ndarray:
    return spread * np.random.default_rng(seed).normal(size=(n, 2))


@pytest.mark.parametrize("spread", [0.01, 0.3, 1.0, 5.0, 40.0])
def test_a_vae_frame_is_the_same_whatever_the_codes_spread(spread):
    assert live_frame(codes(spread), has_prior=True) == (-PRIOR_FRAME, PRIOR_FRAME, -PRIOR_FRAME, PRIOR_FRAME)
    assert live_frame(codes(spread), has_prior=True, previous=(-9.0, 9.0, -9.0, 9.0)) == live_frame(
        codes(1.0), has_prior=True)
    assert PRIOR_FRAME > 3  # the 3σ circle lies inside


def test_an_ae_frame_never_shrinks_and_grows_with_its_codes():
    frame = None
    frames = []
    for spread in (0.1, 2.0, 0.5, 6.0, 0.2):  # codes spread, gather, spread further, gather again
        frame = live_frame(codes(spread, seed=len(frames)), has_prior=False, previous=frame)
        frames.append(frame)
    for before, after in zip(frames, frames[1:], strict=False):
        assert after[0] <= before[0] and after[1] >= before[1] and after[2] <= before[2] and after[3] >= before[3]
    assert frames[3][1] - frames[3][0] > 10 * (frames[0][1] - frames[0][0])  # it did grow: no fixed box


def circles(fig) -> list[tuple[float, float, float, float]]:
    return [(s.x0, s.x1, s.y0, s.y1) for s in fig.layout.shapes if s.type == "circle"]


def test_a_vae_map_draws_the_prior_circles_and_an_ae_map_none():
    z, frame = codes(1.0), live_frame(codes(1.0), has_prior=True)
    vae = latent_map(z, np.arange(500) % 10, frame, prior_circles=True, clip=True, legend=False)
    assert sorted(circles(vae), key=lambda c: c[1]) == [(-1, 1, -1, 1), (-2, 2, -2, 2), (-3, 3, -3, 3)]
    assert {s.line.dash for s in vae.layout.shapes} == {"dot", "dash", "longdash"}
    assert {a.text for a in vae.layout.annotations} == {"1σ", "2σ", "3σ"}
    assert vae.layout.yaxis.scaleanchor == "x"  # one scale on both axes: the circles are round
    ae = latent_map(z, np.arange(500) % 10, live_frame(z, has_prior=False), clip=True, legend=False)
    assert circles(ae) == [] and not ae.layout.annotations


def test_codes_beyond_the_frame_are_drawn_on_its_edge_and_counted():
    z = np.array([[0.0, 0.0], [9.0, 1.0], [-1.0, -20.0], [3.9, -3.9]])
    frame = live_frame(z, has_prior=True)
    assert outside(z, frame).tolist() == [False, True, True, False]
    fig = latent_map(z, None, frame, prior_circles=True, clip=True)
    (trace,) = fig.data
    assert list(trace.x) == [0.0, 4.0, -1.0, 3.9] and list(trace.y) == [0.0, 1.0, -4.0, -3.9]
    assert list(trace.marker.symbol) == ["circle", "diamond", "diamond", "circle"]
    assert list(fig.layout.xaxis.range) == [-4, 4] and list(fig.layout.yaxis.range) == [-4, 4]
