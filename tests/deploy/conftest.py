"""Fixtures of the deployment tests: a lecture hall on this machine, as deploy/ runs one (issue 24, item 5).

Session-scoped, started once for all of tests/deploy and stopped after it:

- `hall_redis_url`: "redis://127.0.0.1:PORT/0", a throw-away `redis-server` (no persistence, its own folder).
- `hall_replicas`: two `hall.Replica`s, A and B: `streamlit run app.py` on loopback ports, each started with
  `LATENT_LAB_REDIS_URL` = `hall_redis_url` (so `store_from_env()` gives both the same rooms). A test may
  `.kill()` one (SIGKILL); `hall` starts it again before the next test.
- `hall_nginx_url`: "http://127.0.0.1:PORT", nginx running deploy/nginx.conf (only its `listen` and upstream lines
  swapped, `hall.site_conf`) in front of A and B. It adds `X-Upstream: 127.0.0.1:PORT` (the replica that
  answered) to every response, and a `latentlab_route` cookie to a browser's first response; nginx hashes that
  cookie, so one browser context stays on one replica.
- `browser`: headless Debian Chromium (explorer/bench/browser.py `launch`), as in tests/e2e.

Per test:

- `hall`: a `hall.Hall` with `.url` (nginx), `.redis_url`, `.replicas` (A, B), `.replica_at(x_upstream)` (which
  replica answered), `.route_to(replica)` (a cookie value nginx sends to that replica: `context.add_cookies` it to
  put a browser on A or B on purpose). Both replicas are up and reachable through nginx when a test starts.

A follow-me test across replicas: `hall.route_to` a lecturer's context onto A and the students' onto B, open the
room through `hall.url`. Skipped only where `redis-server` or `nginx` is not installed (the README's test command
and .ci/run install both); a missing chromium fails, as in tests/e2e.
"""

from __future__ import annotations

import os
import time
import urllib.request
from pathlib import Path

import hall as hall_module
import pytest

from explorer.bench.browser import free_port, stop_process
from explorer.bench.redis_server import REDIS_SERVER, redis_server, wait_for
from explorer.data.mnist import SHARED_MNIST


def _require(binary: str | None, name: str) -> None:
    if binary is None:
        pytest.skip(f"{name} is not installed (Debian: apt-get install {name}); the README's test command and "
                    ".ci/run install it, so CI runs these tests")


@pytest.fixture(scope="session")
def hall_redis_url(tmp_path_factory):
    _require(REDIS_SERVER, "redis-server")
    with redis_server(tmp_path_factory.mktemp("hall-redis")) as url:
        yield url


@pytest.fixture(scope="session")
def hall_replicas(hall_redis_url):
    _require(hall_module.NGINX, "nginx")  # before two slow Streamlit starts
    env = {"LATENT_LAB_REDIS_URL": hall_redis_url}
    if SHARED_MNIST.exists():
        env["LATENT_LAB_MNIST_DIR"] = str(SHARED_MNIST)
    replicas = tuple(hall_module.Replica(name, free_port(), env) for name in ("A", "B"))
    try:
        for replica in replicas:
            replica.start()
        yield replicas
    finally:
        for replica in replicas:
            replica.stop()


@pytest.fixture(scope="session")
def hall_nginx_url(tmp_path_factory, hall_replicas):
    _require(hall_module.NGINX, "nginx")
    folder, port = tmp_path_factory.mktemp("hall-nginx"), free_port()
    conf = hall_module.write_nginx_conf(folder, port, [r.port for r in hall_replicas], os.geteuid() == 0)
    checked = hall_module.check_nginx_conf(conf)
    assert checked.returncode == 0, checked.stderr
    server = hall_module.start_nginx(conf)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: urllib.request.urlopen(url + "/_stcore/health", timeout=2),
                             "nginx", server)
        yield url
    finally:
        stop_process(server)


@pytest.fixture
def hall(hall_nginx_url, hall_redis_url, hall_replicas) -> hall_module.Hall:
    """Both replicas up (one a test killed is started again) and nginx routing to each again."""
    the_hall = hall_module.Hall(hall_nginx_url, hall_redis_url, hall_replicas)
    for replica in hall_replicas:
        if not replica.alive:
            replica.start()
    # nginx keeps a refused replica out for fail_timeout (10 s); wait until it is back in.
    deadline = time.monotonic() + 30
    for replica in hall_replicas:
        while True:
            try:
                the_hall.route_to(replica, tries=16)
                break
            except LookupError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
    return the_hall


@pytest.fixture(scope="session")
def shots():
    """Where the hall's screenshots land: screenshots/, as tests/e2e's."""
    folder = Path(__file__).resolve().parents[2] / "screenshots"
    folder.mkdir(exist_ok=True)
    return folder
