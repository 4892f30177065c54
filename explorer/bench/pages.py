"""Page rerun times under AppTest for the benchmark: each page alone, as Streamlit's own test harness runs it,
in a child process (`process.run_script`) that runs `explorer.ui.page_timing`: only explorer/ui/ imports Streamlit."""

from __future__ import annotations

import os

from explorer.bench.process import run_script
from explorer.data.mnist import SHARED_MNIST

# the measure runs in explorer/ui/ (only there is Streamlit imported), in a child process of its own
PAGE_RERUN_SCRIPT = "import sys; from explorer.ui.page_timing import main; main(int(sys.argv[1]))"


def page_rerun_times(repeats: int = 5) -> dict:
    """Each page in pages/ alone in AppTest: its first run in s (caches that earlier pages filled stay warm), and
    the median of `repeats` reruns without input in ms."""
    if SHARED_MNIST.exists():
        os.environ.setdefault("LATENT_LAB_MNIST_DIR", str(SHARED_MNIST))  # the child inherits it
    return run_script(PAGE_RERUN_SCRIPT, str(repeats), timeout=1800)
