"""Page rerun times under AppTest for the benchmark: each page alone, as Streamlit's own test harness runs
it. Streamlit's testing API is the one Streamlit import outside explorer/ui/: the benchmarks may use it, and nothing
but the command line imports the benchmarks (docs/architecture.toml)."""

from __future__ import annotations

import os
import statistics
import time

from streamlit.testing.v1 import AppTest

from explorer.bench.browser import ROOT
from explorer.data.mnist import SHARED_MNIST


def _seconds(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def page_rerun_times(repeats: int = 5) -> dict:
    """Each page in pages/ alone in AppTest: its first run in s (caches that earlier pages filled stay warm), and
    the median of `repeats` reruns without input in ms."""
    if SHARED_MNIST.exists():
        os.environ.setdefault("LATENT_LAB_MNIST_DIR", str(SHARED_MNIST))
    results = {}
    for path in sorted((ROOT / "pages").glob("*.py")):
        at = AppTest.from_file(str(path), default_timeout=600)
        results[f"{path.stem}_first_s"] = round(_seconds(at.run), 2)
        results[f"{path.stem}_rerun_ms"] = round(1e3 * statistics.median(_seconds(at.run) for _ in range(repeats)), 1)
        if at.exception:
            results[f"{path.stem}_exception"] = at.exception[0].message[:200]
    return results
