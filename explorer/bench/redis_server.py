"""A throw-away Debian `redis-server` (no persistence, its own folder and loopback port), for the Redis store's
tests, the hall's deployment tests and the benchmark of a class across two replicas (issue 24, item 5)."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from explorer.bench.browser import free_port, stop_process

REDIS_SERVER = shutil.which("redis-server")


def start_redis(folder: Path, port: int) -> subprocess.Popen:
    """No persistence, its own folder: what deploy/ runs, throw-away."""
    return subprocess.Popen([REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", str(folder)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wait_for(ready: Callable[[], object], what: str, process: subprocess.Popen, not_yet: tuple = (OSError,),
             timeout: float = 15.0) -> None:
    """Poll `ready()` (truthy, or one of the `not_yet` exceptions) until it holds; fail early if `process` died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}")
        try:
            if ready():
                return
        except not_yet:
            pass
        time.sleep(0.05)
    raise TimeoutError(f"{what} not ready after {timeout} s")


@contextlib.contextmanager
def redis_server(folder: Path | None = None) -> Iterator[str]:
    """Start one; yields its URL ("redis://127.0.0.1:PORT/0") once it answers a ping; always stops it."""
    import redis

    if REDIS_SERVER is None:
        raise RuntimeError("redis-server is not installed (Debian: apt-get install redis-server)")
    with contextlib.ExitStack() as stack:
        if folder is None:
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="latent-lab-redis-")))
        port = free_port()
        server = start_redis(folder, port)
        stack.callback(stop_process, server)
        url = f"redis://127.0.0.1:{port}/0"
        wait_for(lambda: redis.Redis.from_url(url).ping(), "redis-server", server, not_yet=(redis.ConnectionError,))
        yield url
