"""The load tests drive the real server with headless Chromium (as tests/e2e does): they need both."""

from __future__ import annotations

import pytest

from explorer.bench.browser import chromium_path
from explorer.store import zoo


@pytest.fixture
def browser_and_zoo() -> None:
    if chromium_path() is None:
        pytest.fail("no chromium binary: the README's test command installs Debian's chromium")
    if not {"mnist-vae-2d", "digits-vae-2d"} & set(zoo.names()):
        pytest.skip("no pretrained models: run `python -m explorer pretrain`")
