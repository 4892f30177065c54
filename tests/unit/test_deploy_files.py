"""deploy/ holds together without docker or kubectl: every file parses, every file it names exists, and the
compose file, nginx.conf, the Dockerfile and the Kubernetes manifests agree on ports, names, the health path, the
route cookie, timeouts and the one environment variable the app reads (`store_from_env`)."""

from __future__ import annotations

import re
import urllib.parse
from pathlib import Path

import pytest

from explorer.classroom.store import REDIS_URL_VARIABLE

yaml = pytest.importorskip("yaml", reason="pyyaml is in requirements-dev.txt")

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
APP_PORT, HEALTH = 8501, "/_stcore/health"


def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def k8s() -> dict[tuple[str, str], dict]:
    """Every manifest that kustomization.yaml lists, by (kind, name)."""
    kustomization = yaml.safe_load((DEPLOY / "k8s" / "kustomization.yaml").read_text())
    documents = [document for resource in kustomization["resources"]
                 for document in yaml.safe_load_all((DEPLOY / "k8s" / resource).read_text())]
    return {(document["kind"], document["metadata"]["name"]): document for document in documents}


def nginx_conf() -> str:
    return (DEPLOY / "nginx.conf").read_text()


def dockerfile() -> str:
    return (DEPLOY / "Dockerfile").read_text()


def test_every_k8s_yaml_file_is_listed_in_the_kustomization():
    listed = yaml.safe_load((DEPLOY / "k8s" / "kustomization.yaml").read_text())["resources"]
    assert sorted(listed) == sorted(p.name for p in (DEPLOY / "k8s").glob("*.yaml") if p.name != "kustomization.yaml")


def test_compose_names_files_that_exist():
    services = compose()["services"]
    build = services["app"]["build"]
    assert (DEPLOY / build["context"] / build["dockerfile"]).resolve() == DEPLOY / "Dockerfile"
    mounts = [volume.split(":") for volume in services["nginx"]["volumes"]]
    assert [(source, target) for source, target, *_ in mounts] == [("./nginx.conf", "/etc/nginx/conf.d/default.conf")]
    for copied in re.findall(r"^COPY (?:--\S+ )*(\S+) ", dockerfile(), flags=re.M):
        assert (ROOT / copied).exists(), copied


def test_the_image_installs_as_the_readme_says_and_serves_the_port_everyone_uses():
    text = dockerfile()
    assert "pip install torch==2.13.0" in text and "torch==2.13.0" in (ROOT / "README.md").read_text()
    assert text.index("torch==2.13.0") < text.index("pip install -r /app/requirements.lock")
    assert f"EXPOSE {APP_PORT}" in text and f'"--server.port", "{APP_PORT}"' in text
    assert '"--server.address", "0.0.0.0"' in text and f"127.0.0.1:{APP_PORT}{HEALTH}" in text


def redis_url_parts(url: str) -> tuple[str, int]:
    parts = urllib.parse.urlsplit(url)
    assert parts.scheme == "redis"
    return parts.hostname, parts.port


def test_compose_points_the_app_at_its_redis_and_nginx_at_the_app():
    services = compose()["services"]
    environment = services["app"]["environment"]
    assert set(environment) == {REDIS_URL_VARIABLE}
    assert redis_url_parts(environment[REDIS_URL_VARIABLE]) == ("redis", 6379) and "redis" in services
    assert re.search(rf"^\s*server app:{APP_PORT} [^;]*;$", nginx_conf(), flags=re.M)
    assert services["app"]["deploy"]["replicas"] >= 2


def test_k8s_points_the_app_at_its_redis_with_the_same_variable():
    manifests = k8s()
    config = manifests[("ConfigMap", "latent-lab")]["data"]
    assert set(config) == set(compose()["services"]["app"]["environment"])
    host, port = redis_url_parts(config[REDIS_URL_VARIABLE])
    assert [p["port"] for p in manifests[("Service", host)]["spec"]["ports"]] == [port]
    container = manifests[("Deployment", "latent-lab")]["spec"]["template"]["spec"]["containers"][0]
    assert container["envFrom"] == [{"configMapRef": {"name": "latent-lab"}}]


def test_k8s_services_select_their_deployments_and_the_ingress_reaches_the_app():
    manifests = k8s()
    for name in ("latent-lab", "redis"):
        labels = manifests[("Deployment", name)]["spec"]["template"]["metadata"]["labels"]
        assert manifests[("Service", name)]["spec"]["selector"].items() <= labels.items()
    (rule,) = manifests[("Ingress", "latent-lab")]["spec"]["rules"]
    backend = rule["http"]["paths"][0]["backend"]["service"]
    ports = {p["name"]: p for p in manifests[("Service", backend["name"])]["spec"]["ports"]}
    container = manifests[("Deployment", "latent-lab")]["spec"]["template"]["spec"]["containers"][0]
    assert ports[backend["port"]["name"]]["targetPort"] == "http"
    assert container["ports"] == [{"name": "http", "containerPort": APP_PORT}]
    assert manifests[("Deployment", "latent-lab")]["spec"]["replicas"] >= 2


def test_k8s_probes_use_streamlits_health_path():
    container = k8s()[("Deployment", "latent-lab")]["spec"]["template"]["spec"]["containers"][0]
    for probe in ("readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"] == {"path": HEALTH, "port": "http"}


def test_nginx_and_the_ingress_agree_on_the_cookie_the_timeouts_and_the_body_size():
    annotations = k8s()[("Ingress", "latent-lab")]["metadata"]["annotations"]
    setting = {key.removeprefix("nginx.ingress.kubernetes.io/"): value for key, value in annotations.items()}
    conf = nginx_conf()
    assert setting["affinity"] == "cookie" and f"$cookie_{setting['session-cookie-name']}" in conf
    for timeout in ("proxy-read-timeout", "proxy-send-timeout"):
        assert f"{timeout.replace('-', '_')} {setting[timeout]}s;" in conf
    assert f"client_max_body_size {setting['proxy-body-size']};" in conf
    assert f"proxy_next_upstream {setting['proxy-next-upstream']};" in conf


def test_nginx_upgrades_streamlits_websocket():
    stream = re.search(r"location /_stcore/stream \{(.*?)\n    \}", nginx_conf(), flags=re.S)[1]
    for line in ("proxy_http_version 1.1;", "proxy_set_header Upgrade $http_upgrade;",
                 "proxy_set_header Connection $connection_upgrade;", "proxy_pass http://latent_lab;"):
        assert line in stream
    assert "hash $latentlab_route consistent;" in nginx_conf()
