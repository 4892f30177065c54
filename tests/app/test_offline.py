"""Without MNIST (offline, no folder), pages say what is missing and still show what they can."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from explorer import data
from explorer.store import zoo

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def no_mnist(monkeypatch, tmp_path):
    monkeypatch.delenv("LATENT_LAB_MNIST_DIR", raising=False)
    monkeypatch.setenv("LATENT_LAB_CACHE", str(tmp_path))
    monkeypatch.setenv("LATENT_LAB_NO_SHARED_FALLBACK", "1")
    monkeypatch.setenv("LATENT_LAB_MNIST_MIRROR", "http://127.0.0.1:9/")  # the discard port: nothing answers
    data.load.cache_clear()
    with pytest.raises(data.DatasetUnavailable):
        data.load("mnist", "test")
    yield
    data.load.cache_clear()


@pytest.mark.skipif(not zoo.names(), reason="no pretrained models: run `python -m explorer pretrain`")
@pytest.mark.parametrize("page", ["pages/latent_space.py", "pages/elbo_gap.py", "pages/beta_sigma.py"])
def test_pages_without_mnist_warn_and_fall_back(page, no_mnist):
    at = AppTest.from_file(str(ROOT / page), default_timeout=180)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert any("not available" in w.value for w in at.warning)


@pytest.mark.parametrize("page", sorted(p.name for p in (ROOT / "pages").glob("*.py")))
def test_every_page_runs_without_mnist(page, no_mnist):
    """Not only the pages above: none may show a traceback when MNIST cannot be loaded."""
    at = AppTest.from_file(str(ROOT / "pages" / page), default_timeout=180)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
