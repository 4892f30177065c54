"""The hall without a browser: nginx's config as deployed, its route cookie and hash (stickiness), the
websocket handshake through it, and both replicas on one Redis."""

from __future__ import annotations

import http.client
import tempfile
import urllib.parse
import urllib.request
from pathlib import Path

import hall as hall_module
import pytest
import redis

from explorer.classroom import Classroom, store_from_env

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_deploy_nginx_conf_passes_nginx_t_with_loopback_upstreams():
    if hall_module.NGINX is None:
        pytest.skip("nginx is not installed (Debian: apt-get install nginx)")
    with tempfile.TemporaryDirectory() as folder:
        conf = hall_module.write_nginx_conf(Path(folder), 8080, [8501, 8502, 8503], as_root=False)
        checked = hall_module.check_nginx_conf(conf)
    assert checked.returncode == 0, checked.stderr


def test_a_first_response_sets_the_route_cookie_and_a_later_one_does_not(hall):
    with urllib.request.urlopen(hall.url + "/", timeout=10) as first:
        cookie = first.headers["Set-Cookie"]
        assert first.status == 200 and cookie.startswith("latentlab_route=")
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    route = cookie.split(";")[0].split("=", 1)[1]
    request = urllib.request.Request(hall.url + "/", headers={"Cookie": f"latentlab_route={route}"})
    with urllib.request.urlopen(request, timeout=10) as later:
        assert later.headers["Set-Cookie"] is None
        # the page it was given came from the replica its cookie hashes to
        assert hall.replica_at(later.headers["X-Upstream"]) is hall.replica_at(first.headers["X-Upstream"])


def test_each_route_stays_on_one_replica_and_routes_spread_over_both(hall):
    routes = [f"student-{index}" for index in range(24)]
    first = {route: hall.replica_at(hall.upstream_for(route)) for route in routes}
    for path in ("/_stcore/health", "/_stcore/host-config", "/"):
        assert {route: hall.replica_at(hall.upstream_for(route, path)) for route in routes} == first
    assert {replica.name for replica in first.values()} == {"A", "B"}  # 2 · 2⁻²⁴ to fail by chance


def websocket_handshake(url: str, route: str) -> http.client.HTTPResponse:
    """Streamlit's websocket opening through nginx, as a browser sends it (same Origin as Host)."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    connection.request("GET", "/_stcore/stream", headers={
        "Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", "Origin": url, "Cookie": f"latentlab_route={route}"})
    return connection.getresponse()


def test_the_websocket_upgrades_through_nginx_on_the_routes_replica(hall):
    for replica in hall.replicas:
        route = hall.route_to(replica)
        response = websocket_handshake(hall.url, route)
        assert response.status == 101, (response.status, response.read()[:200])
        assert response.headers["Upgrade"].lower() == "websocket"
        assert hall.replica_at(response.headers["X-Upstream"]) is replica


def replica_environment(replica: hall_module.Replica) -> dict[str, str]:
    """The running process's own environment (Linux), not what the fixture meant to give it."""
    raw = Path(f"/proc/{replica.process.pid}/environ").read_bytes()
    return dict(item.split("=", 1) for item in raw.decode().split("\0") if "=" in item)


def test_both_replicas_keep_rooms_in_the_one_redis(hall):
    lecturer_side = Classroom(store_from_env({"LATENT_LAB_REDIS_URL": hall.redis_url}))
    code, secret = lecturer_side.open_room()
    lecturer_side.publish(code, secret, "reparameterization", {"rep_mu": "0.8"})
    keys = {key.decode() for key in redis.Redis.from_url(hall.redis_url).keys(f"latent-lab:{{{code}}}:*")}
    assert {f"latent-lab:{{{code}}}:room", f"latent-lab:{{{code}}}:view"} <= keys
    for replica in hall.replicas:
        environment = replica_environment(replica)
        assert environment["LATENT_LAB_REDIS_URL"] == hall.redis_url
        # what that replica's store_from_env() builds from its environment sees the room the test opened
        student_side = Classroom(store_from_env(environment))
        assert student_side.join(code) == code
        assert student_side.view(code)["params"] == {"rep_mu": "0.8"}
