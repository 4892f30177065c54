"""Page rerun times under AppTest for the benchmark: each page alone, as Streamlit's own test harness runs it,
in a child process (`process.run_script`), so that the bench itself imports no Streamlit: only explorer/ui/ does."""

from __future__ import annotations

import os

from explorer.bench.process import run_script
from explorer.data.mnist import SHARED_MNIST

PAGE_RERUN_SCRIPT = """
import json, statistics, sys, time
from pathlib import Path
from streamlit.testing.v1 import AppTest

def seconds(fn):
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started

repeats, results = int(sys.argv[1]), {}
for path in sorted(Path("pages").glob("*.py")):
    at = AppTest.from_file(str(path.resolve()), default_timeout=600)
    results[f"{path.stem}_first_s"] = round(seconds(at.run), 2)
    results[f"{path.stem}_rerun_ms"] = round(1e3 * statistics.median(seconds(at.run) for _ in range(repeats)), 1)
    if at.exception:
        results[f"{path.stem}_exception"] = at.exception[0].message[:200]
print(json.dumps(results))
"""


def page_rerun_times(repeats: int = 5) -> dict:
    """Each page in pages/ alone in AppTest: its first run in s (caches that earlier pages filled stay warm), and
    the median of `repeats` reruns without input in ms."""
    if SHARED_MNIST.exists():
        os.environ.setdefault("LATENT_LAB_MNIST_DIR", str(SHARED_MNIST))  # the child inherits it
    return run_script(PAGE_RERUN_SCRIPT, str(repeats), timeout=1800)
