"""deploy/ stays coherent: manifests parse, refer to each other and to real routes, commands
and settings of the hub (Docker and Kubernetes themselves do not run here)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from hub.app import create_app
from hub.cli import app as mzhub
from hub.config import Settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
PORT = 8000


def k8s() -> dict[str, dict[str, Any]]:
    """Every Kubernetes object by `Kind/name`."""
    found: dict[str, dict[str, Any]] = {}
    for path in sorted((DEPLOY / "k8s").glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            assert doc["apiVersion"] and doc["metadata"]["namespace"] == "mzhub", path
            found[f"{doc['kind']}/{doc['metadata']['name']}"] = doc
    return found


def compose() -> dict[str, Any]:
    return dict(yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8")))


def pod_spec(kind_name: str) -> dict[str, Any]:
    return dict(k8s()[kind_name]["spec"]["template"]["spec"])


def hub_container() -> dict[str, Any]:
    return dict(pod_spec("Deployment/mzhub")["containers"][0])


def dockerfile() -> str:
    return (DEPLOY / "Dockerfile").read_text(encoding="utf-8")


def assert_real_command(argv: list[str]) -> None:
    """`mzhub ...` parses with these options (click rejects unknown ones before --help)."""
    assert argv[0] == "mzhub", argv
    result = CliRunner().invoke(mzhub, [*argv[1:], "--help"])
    assert result.exit_code == 0, (argv, result.output)


def test_every_manifest_parses_and_the_expected_objects_exist() -> None:
    assert set(k8s()) >= {
        "Deployment/mzhub", "Service/mzhub", "HorizontalPodAutoscaler/mzhub",
        "PodDisruptionBudget/mzhub", "Job/mzhub-migrate", "ConfigMap/mzhub-policy",
        "ConfigMap/mzhub-env", "Secret/mzhub-keys", "Secret/mzhub-database",
        "NetworkPolicy/mzhub",
    }  # fmt: skip


def test_selectors_match_the_deployments_pod_labels() -> None:
    objects = k8s()
    deployment = objects["Deployment/mzhub"]
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    selectors = [
        deployment["spec"]["selector"]["matchLabels"],
        objects["Service/mzhub"]["spec"]["selector"],
        objects["PodDisruptionBudget/mzhub"]["spec"]["selector"]["matchLabels"],
        objects["NetworkPolicy/mzhub"]["spec"]["podSelector"]["matchLabels"],
    ]
    for selector in selectors:
        assert selector and selector.items() <= labels.items(), selector
    target = objects["HorizontalPodAutoscaler/mzhub"]["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == ("Deployment", "mzhub")


def test_probes_point_at_routes_the_app_serves(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/x.db", keys_dir=tmp_path)
    paths = {getattr(route, "path", None) for route in create_app(settings).routes}
    container = hub_container()
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert {"/readyz", "/healthz", "/graphql"} <= paths
    assert "/healthz" in dockerfile().split("HEALTHCHECK", 1)[1]


def test_ports_agree_everywhere() -> None:
    objects = k8s()
    container = hub_container()
    named = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert named == {"http": PORT}
    assert container["command"][container["command"].index("--port") + 1] == str(PORT)
    for probe in ("readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"]["port"] in named
    assert objects["Service/mzhub"]["spec"]["ports"][0]["targetPort"] in named
    ingress = objects["NetworkPolicy/mzhub"]["spec"]["ingress"]
    assert [p["port"] for rule in ingress for p in rule["ports"]] == [PORT]
    assert f"EXPOSE {PORT}" in dockerfile()
    upstreams = re.findall(r"server (\S+):(\d+)", (DEPLOY / "nginx.conf").read_text())
    assert {(host, int(port)) for host, port in upstreams} == {("hub-a", PORT), ("hub-b", PORT)}


def test_config_maps_and_secrets_referenced_exist() -> None:
    objects = k8s()
    for kind_name in ("Deployment/mzhub", "Job/mzhub-migrate"):
        spec = pod_spec(kind_name)
        for container in spec["containers"]:
            for source in container.get("envFrom", []):
                assert f"ConfigMap/{source['configMapRef']['name']}" in objects
            for var in container.get("env", []):
                ref = var.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    assert f"Secret/{ref['name']}" in objects
            mounts = {m["name"] for m in container.get("volumeMounts", [])}
            assert mounts <= {v["name"] for v in spec.get("volumes", [])}
        for volume in spec.get("volumes", []):
            if "secret" in volume:
                assert f"Secret/{volume['secret']['secretName']}" in objects
            if "configMap" in volume:
                assert f"ConfigMap/{volume['configMap']['name']}" in objects


def test_the_mounted_policy_is_the_packaged_one_and_sits_at_hub_policy_file() -> None:
    policy = k8s()["ConfigMap/mzhub-policy"]["data"]["policy.yaml"]
    assert policy == (ROOT / "hub" / "policy" / "policy.yaml").read_text(encoding="utf-8")
    container = hub_container()
    env = {v["name"]: v.get("value") for v in container["env"]}
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    assert env["HUB_POLICY_FILE"] == f"{mounts['policy']}/policy.yaml"
    assert env["HUB_KEYS_DIR"] == mounts["keys"]


def test_the_pods_run_as_non_root_on_a_read_only_root_filesystem() -> None:
    for kind_name in ("Deployment/mzhub", "Job/mzhub-migrate"):
        spec = pod_spec(kind_name)
        assert spec["securityContext"]["runAsNonRoot"] is True
        assert spec["securityContext"]["runAsUser"] != 0
        for container in spec["containers"]:
            assert container["securityContext"]["readOnlyRootFilesystem"] is True
            assert container["securityContext"]["allowPrivilegeEscalation"] is False
            assert container["resources"]["requests"] and container["resources"]["limits"]


def test_the_migration_job_and_the_commands_are_real_mzhub_commands() -> None:
    job = pod_spec("Job/mzhub-migrate")["containers"][0]
    assert job["command"] == ["mzhub", "db", "upgrade"]
    assert_real_command(job["command"])
    assert_real_command(hub_container()["command"])
    for service in compose()["services"].values():
        if "command" in service and service["command"][0] == "mzhub":
            assert_real_command(service["command"])


def test_the_dockerfile_runs_as_non_root_and_starts_mzhub_serve() -> None:
    text = dockerfile()
    assert re.search(r"^FROM python:3\.11-slim", text, re.M)
    user = re.findall(r"^USER (\S+)", text, re.M)
    assert user and user[-1].split(":")[0] not in ("0", "root")
    assert "pip install ." in text
    cmd = re.findall(r"^CMD (.+)$", text, re.M)[-1]
    argv = yaml.safe_load(cmd)  # the exec form is a JSON list
    assert argv[:2] == ["mzhub", "serve"] and "--workers" in argv
    assert_real_command(argv)


def test_compose_starts_things_in_order() -> None:
    services = compose()["services"]
    assert set(services) >= {"postgres", "redis", "migrate", "hub-a", "hub-b", "nginx"}
    assert services["postgres"]["image"].startswith("postgres:15")
    assert services["migrate"]["command"] == ["mzhub", "db", "upgrade"]
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    for hub in ("hub-a", "hub-b"):
        deps = services[hub]["depends_on"]
        assert deps["migrate"]["condition"] == "service_completed_successfully"
        assert deps["postgres"]["condition"] == "service_healthy"
        assert deps["redis"]["condition"] == "service_healthy"
    assert set(services["nginx"]["depends_on"]) == {"hub-a", "hub-b"}
    nginx = (DEPLOY / "nginx.conf").read_text()
    assert "proxy_set_header Upgrade $http_upgrade" in nginx and "location = /graphql" in nginx


@pytest.mark.parametrize(
    "path", ["compose.yaml", "Dockerfile", *[f"k8s/{p.name}" for p in (DEPLOY / "k8s").glob("*")]]
)
def test_every_hub_setting_named_is_one_the_hub_reads(path: str) -> None:
    known = set(re.findall(r'"(HUB_[A-Z_]+)"', (ROOT / "hub" / "config.py").read_text()))
    used = set(re.findall(r"\b(HUB_[A-Z_]+)\b", (DEPLOY / path).read_text(encoding="utf-8")))
    assert used - known == set(), f"{path} sets settings the hub does not read"


def test_shell_snippets_in_compose_healthchecks_parse() -> None:
    for service in compose()["services"].values():
        test = service.get("healthcheck", {}).get("test")
        if test and test[0] == "CMD-SHELL":
            assert shlex.split(test[1])
