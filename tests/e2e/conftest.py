"""A real server and headless Chromium for the browser tests; screenshots land in screenshots/."""

from __future__ import annotations

from pathlib import Path

import pytest

from explorer.bench.browser import chromium_path, streamlit_server
from explorer.data.mnist import SHARED_MNIST
from explorer.store import zoo

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "screenshots"


@pytest.fixture(scope="session")
def server_url():
    if chromium_path() is None:
        pytest.fail("no chromium binary: the README's test command installs Debian's chromium")
    if not zoo.names():
        pytest.skip("no pretrained models: run `python -m explorer pretrain`")
    env = {"LATENT_LAB_MNIST_DIR": str(SHARED_MNIST)} if SHARED_MNIST.exists() else {}
    with streamlit_server(env=env) as url:
        yield url


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1500})
    yield context.new_page()
    context.close()


@pytest.fixture(scope="session")
def shots() -> Path:
    SHOTS.mkdir(exist_ok=True)
    return SHOTS
