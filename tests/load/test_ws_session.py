"""Simulated sessions over Streamlit's websocket (`explorer.bench.ws_session`) against the real server.

Three sessions open the home page, then the latent-space page; two click the VAE's map at different points and
must each get their own decoded image (and only their own), a third switches the data set and must get the other
data set's maps while the others keep theirs. Every rerun's timing must be finite and ordered. No browser: this
checks the protocol client that `python -m explorer bench --ws` drives by the hundred.
"""

from __future__ import annotations

import asyncio
import math

import pytest

from explorer.bench.browser import streamlit_server
from explorer.bench.process import in_own_thread
from explorer.data.mnist import SHARED_MNIST
from explorer.store import zoo

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]
MAPS = {"mnist-ae-2d", "mnist-vae-2d", "digits-ae-2d", "digits-vae-2d"}


@pytest.fixture(scope="module")
def server_url():
    if not MAPS <= set(zoo.names()):
        pytest.skip("no pretrained 2-D models: run `python -m explorer pretrain`")
    env = {"LATENT_LAB_MNIST_DIR": str(SHARED_MNIST)} if SHARED_MNIST.exists() else {}
    with streamlit_server(env=env) as url:
        yield url


def decoded(kind: str, element) -> bool:
    return kind == "imgs" and element.imgs.imgs[0].caption.startswith("decoded at z = ")


def captions(session) -> list[str]:
    return [caption for _, caption in session.page.images() if caption.startswith("decoded at")]


def map_keys(session) -> set[str]:
    return {widget.key for widget in session.page.widgets() if widget.kind == "bidi_component"}


def assert_finite_and_ordered(timing, *marks: str) -> None:
    values = [getattr(timing, mark) for mark in marks]
    assert timing.error is None and all(v is not None and math.isfinite(v) and v >= 0 for v in values), timing
    assert values == sorted(values), timing  # each mark comes after the one before it


async def three_sessions(url: str) -> None:
    from explorer.bench.ws_session import open_sessions

    sessions = await open_sessions(url, 3)  # the home page
    for session in sessions:
        assert session.page.page_script_hash == session.page.pages[""], "not the default page"
        assert_finite_and_ordered(session.load_timing, "started_s", "first_delta_s", "finished_s")
    for session in sessions:
        assert_finite_and_ordered(await session.goto("latent_space"), "started_s", "first_delta_s", "finished_s")
        assert map_keys(session) == {"click_mnist-ae-2d", "click_mnist-vae-2d"}, map_keys(session)
    first, second, third = sessions
    for session, (z1, z2) in ((first, (0.5, -1.0)), (second, (-1.0, 0.5))):
        timing = await session.trigger(key="click_mnist-vae-2d", event="released", value={"z1": z1, "z2": z2},
                                       until=decoded)
        assert_finite_and_ordered(timing, "started_s", "first_delta_s", "matched_s", "fetched_s")
        assert timing.status == 3, "a click on a map reruns its fragment alone"
    assert captions(first) == ["decoded at z = (0.50, -1.00)"], captions(first)
    assert captions(second) == ["decoded at z = (-1.00, 0.50)"], captions(second)
    assert captions(third) == [], "a click decoded in another session's page"
    timing = await third.set_widget("scikit-learn digits 8×8", key="latent_dataset")
    assert_finite_and_ordered(timing, "started_s", "first_delta_s", "first_visual_s", "finished_s")
    assert map_keys(third) == {"click_digits-ae-2d", "click_digits-vae-2d"}, map_keys(third)
    assert map_keys(first) == {"click_mnist-ae-2d", "click_mnist-vae-2d"}, "a knob moved another session's page"
    for session in sessions:
        assert not session.errors and not session.page.exceptions() and not session.page.unresolved_refs
    await asyncio.gather(*(session.close() for session in sessions))


def test_three_sessions_load_pages_click_and_change_a_knob(server_url):
    in_own_thread(asyncio.run, three_sessions(server_url))
