"""Running a measure apart: in a fresh thread (an event loop of its own) or in a fresh Python process (memory and
imports of its own), for the benchmarks and the load tests."""

from __future__ import annotations

import concurrent.futures
import json
import subprocess
import sys

from explorer.bench.browser import ROOT


def in_own_thread(fn, *args):
    """fn(*args) in a fresh thread, its result or its exception here: asyncio.run and Playwright's sync API
    refuse a thread where an event loop already runs (a notebook; a test session with a browser open)."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(fn, *args).result()


def run_script(script: str, *args: str, timeout: float = 300) -> dict:
    """What a fresh Python process running `script` (with `args`) in the project's root prints as its last line of
    JSON: a measure that must not share this process's memory or imports."""
    done = subprocess.run([sys.executable, "-c", script, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])
