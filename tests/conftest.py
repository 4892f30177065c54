"""Shared test settings: the MNIST folder beside the checkout, and the repo root."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from explorer.data.mnist import SHARED_MNIST

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def mnist_dir(monkeypatch) -> Path:
    """The MNIST test split beside the checkout, exported for `explorer.data`; skips when absent."""
    if not (SHARED_MNIST / "t10k-images-idx3-ubyte.gz").exists():
        pytest.skip(f"MNIST is not at {SHARED_MNIST} (the shared data folder beside the checkout)")
    monkeypatch.setenv("LATENT_LAB_MNIST_DIR", str(SHARED_MNIST))
    return SHARED_MNIST


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium, one for the whole run: tests/e2e and tests/deploy share it (Playwright's sync API
    holds the main thread's event loop, so a second one in the same run cannot start)."""
    from playwright.sync_api import sync_playwright

    from explorer.bench.browser import chromium_path, launch

    if chromium_path() is None:
        pytest.fail("no chromium binary: the README's test command installs Debian's chromium")
    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()


def pytest_configure(config):
    # Streamlit's AppTest and the real server both read this; keep runs from phoning home.
    os.environ.setdefault("STREAMLIT_BROWSER_GATHER_USAGE_STATS", "false")
