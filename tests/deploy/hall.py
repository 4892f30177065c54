"""A lecture hall on one machine, for tests/deploy: Debian's redis-server, Streamlit replicas sharing it through
`LATENT_LAB_REDIS_URL`, and nginx in front with deploy/nginx.conf itself (only its `listen` and `server app:8501`
lines swapped for loopback ports), each in a throw-away folder and run without root.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from explorer.bench.browser import ROOT, start_streamlit, stop_process, wait_healthy

NGINX_SITE = ROOT / "deploy" / "nginx.conf"
NGINX = shutil.which("nginx")
UPSTREAM_LINE = re.compile(r"^(\s*)server app:8501( [^;]*)?;$", re.M)
LISTEN_LINE = re.compile(r"^(\s*)listen 80;$", re.M)


def site_conf(listen_port: int, replica_ports: list[int]) -> str:
    """deploy/nginx.conf for this machine: nginx on `listen_port`, one upstream server per replica port, each with
    the deployed line's parameters. A template that lost either line fails here, not silently."""
    text = NGINX_SITE.read_text()
    (upstream,), (listen,) = UPSTREAM_LINE.findall(text), LISTEN_LINE.findall(text)
    indent, parameters = upstream
    servers = "\n".join(f"{indent}server 127.0.0.1:{port}{parameters};" for port in replica_ports)
    text = UPSTREAM_LINE.sub(lambda _: servers, text)
    return LISTEN_LINE.sub(lambda _: f"{listen}listen 127.0.0.1:{listen_port};", text)


def main_conf(folder: Path, site: Path, as_root: bool) -> str:
    """What the nginx image's own main config gives the site file: here every path nginx writes is in `folder`
    (Debian's defaults under /var/lib/nginx need root). As root, workers would run as `nobody` and could not
    write the temp folder inside pytest's private one, so they stay root."""
    temp = {name: folder / name for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")}
    lines = ["user root;" if as_root else "", f"pid {folder / 'nginx.pid'};", f"error_log {folder / 'error.log'};",
             "worker_processes 1;", "events { worker_connections 1024; }", "http {",
             f"    access_log {folder / 'access.log'};",
             *(f"    {name}_temp_path {path};" for name, path in temp.items()), f"    include {site};", "}"]
    return "\n".join(line for line in lines if line) + "\n"


def write_nginx_conf(folder: Path, listen_port: int, replica_ports: list[int], as_root: bool) -> Path:
    site, conf = folder / "latent-lab.conf", folder / "nginx.conf"
    site.write_text(site_conf(listen_port, replica_ports))
    conf.write_text(main_conf(folder, site, as_root))
    return conf


def check_nginx_conf(conf: Path) -> subprocess.CompletedProcess:
    """`nginx -t`: the whole config parsed and its files opened, nothing served."""
    return subprocess.run([NGINX, "-t", "-p", str(conf.parent), "-e", str(conf.parent / "error.log"),
                           "-c", str(conf)], capture_output=True, text=True)


def start_nginx(conf: Path) -> subprocess.Popen:
    return subprocess.Popen([NGINX, "-p", str(conf.parent), "-e", str(conf.parent / "error.log"), "-c", str(conf),
                             "-g", "daemon off;"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@dataclass(eq=False)  # a replica is itself (hashable by identity), whatever its fields
class Replica:
    """One `streamlit run app.py` on a fixed loopback port that a test may kill and start again."""

    name: str
    port: int
    env: dict[str, str]
    process: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def address(self) -> str:
        """As nginx names it in `$upstream_addr` (the X-Upstream header)."""
        return f"127.0.0.1:{self.port}"

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self, timeout: float = 90.0) -> None:
        self.process = start_streamlit(self.port, env=self.env)
        wait_healthy(self.url, timeout=timeout)

    def kill(self) -> None:
        """SIGKILL, as a crashed or evicted replica: no goodbye to its browsers."""
        self.process.kill()
        self.process.wait()

    def stop(self) -> None:
        if self.alive:
            stop_process(self.process)


@dataclass
class Hall:
    """What the tests get: nginx's URL, the Redis both replicas use, and the replicas themselves."""

    url: str
    redis_url: str
    replicas: tuple[Replica, ...]

    def replica_at(self, upstream: str) -> Replica:
        """The replica that answered, from an X-Upstream value ("a" or, after a failover, "a, b": the last)."""
        answered = upstream.split(",")[-1].strip()
        (replica,) = [r for r in self.replicas if r.address == answered]
        return replica

    def upstream_for(self, route: str, path: str = "/_stcore/health") -> str:
        """X-Upstream of a plain request carrying route cookie `route`."""
        request = urllib.request.Request(self.url + path, headers={"Cookie": f"latentlab_route={route}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.headers["X-Upstream"]

    def route_to(self, replica: Replica, tries: int = 64) -> str:
        """A route cookie value that nginx's hash sends to `replica` (found by asking nginx)."""
        for index in range(tries):
            route = f"route-{index}"
            if self.replica_at(self.upstream_for(route)) is replica:
                return route
        raise LookupError(f"no route to {replica.name} in {tries} tries")
