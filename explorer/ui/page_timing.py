"""Page rerun times under AppTest, for the benchmark (`explorer.bench.pages` runs `main` in a child process): each
page in pages/ alone, as Streamlit's own test harness runs it. Here, because only explorer/ui/ imports Streamlit."""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from streamlit.testing.v1 import AppTest


def seconds(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def main(repeats: int) -> None:
    """Print, as one line of JSON, each page's first run in s and the median of `repeats` reruns in ms (run from the
    project's root)."""
    results: dict[str, float | str] = {}
    for path in sorted(Path("pages").glob("*.py")):
        at = AppTest.from_file(str(path.resolve()), default_timeout=600)
        results[f"{path.stem}_first_s"] = round(seconds(at.run), 2)
        results[f"{path.stem}_rerun_ms"] = round(1e3 * statistics.median(seconds(at.run) for _ in range(repeats)), 1)
        if at.exception:
            results[f"{path.stem}_exception"] = at.exception[0].message[:200]
    print(json.dumps(results))
