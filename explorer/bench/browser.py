"""A real Streamlit server and Debian's headless Chromium, for the browser tests and the benchmark.

Playwright drives the system `chromium` binary (no browser download), with the flags this
offline machine needs.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-quic", "--no-first-run", "--disable-component-update", "--disable-sync"]


def chromium_path() -> str | None:
    return os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(url: str, timeout: float = 60.0) -> float:
    """Seconds until the server answers its health check; TimeoutError after `timeout`."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return time.perf_counter() - started
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"no healthy Streamlit server at {url} after {timeout} s")


def start_streamlit(port: int, app: str = "app.py", env: dict | None = None) -> subprocess.Popen:
    """`streamlit run app` on loopback `port`, not waited for (see `wait_healthy`): the caller owns the process,
    so a test can kill it and start it again on the same port (tests/deploy: a replica that dies)."""
    command = [sys.executable, "-m", "streamlit", "run", app, "--server.headless", "true",
               "--server.port", str(port), "--server.address", "127.0.0.1",
               "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
    return subprocess.Popen(command, cwd=ROOT, env={**os.environ, **(env or {})},
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)


def stop_process(server: subprocess.Popen) -> None:
    """Terminate a server (Streamlit, redis-server, nginx), and kill it when it has not ended within 10 s."""
    if server.poll() is not None:
        return
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


@contextlib.contextmanager
def streamlit_server(app: str = "app.py", env: dict | None = None) -> Iterator[str]:
    """Start `streamlit run app` on a free loopback port; yields its URL; always stops it."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = start_streamlit(port, app, env)
    try:
        wait_healthy(url)
        yield url
    finally:
        stop_process(server)


def launch(playwright):
    """Headless Debian Chromium under Playwright."""
    path = chromium_path()
    if path is None:
        raise FileNotFoundError("no chromium binary: apt-get install chromium, or set CHROMIUM")
    return playwright.chromium.launch(executable_path=path, args=CHROMIUM_FLAGS)
