from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
DOCKER_COMPOSE = "/usr/bin/docker-compose"
SECRETS = {
    "POSTGRES_PASSWORD": "test-postgres",
    "GRAFANA_ADMIN_PASSWORD": "test-grafana",
    "ENVMON_INGEST_MQTT_PASSWORD": "test-ingest",
    "ENVMON_ALERTS_MQTT_PASSWORD": "test-alerts",
    "ENVMON_HJ212_MQTT_PASSWORD": "test-hj212",
}
PLATFORM = {
    "timescaledb",
    "migrate",
    "mosquitto",
    "ingest",
    "alerts",
    "compensation",
    "sensorthings",
    "hj212-gateway",
    "prometheus",
    "alertmanager",
    "grafana",
}
LONG_RUNNING = PLATFORM - {"migrate"}

# Runs Debian's docker-compose (installed by make deps), so not a unit test.
pytestmark = pytest.mark.integration


def _config(environment: dict[str, str], *extra: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in SECRETS}
    return subprocess.run(
        [DOCKER_COMPOSE, "-f", str(REPO / "docker-compose.yml"), *extra, "config"],
        env={**clean, **environment},
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
    )


@pytest.fixture(scope="module")
def config() -> dict[str, Any]:
    result = _config(SECRETS, "--profile", "simulator")
    assert result.returncode == 0, result.stderr
    document: dict[str, Any] = yaml.safe_load(result.stdout)
    return document


def test_every_service_is_there_and_the_simulator_only_under_its_profile(config: dict[str, Any]) -> None:
    assert set(config["services"]) == PLATFORM | {"simulator"}
    assert config["services"]["simulator"]["profiles"] == ["simulator"]
    assert all("profiles" not in config["services"][name] for name in PLATFORM)


def test_long_running_services_have_health_checks(config: dict[str, Any]) -> None:
    assert {name for name in LONG_RUNNING if "healthcheck" in config["services"][name]} == LONG_RUNNING


def test_state_lives_in_named_volumes(config: dict[str, Any]) -> None:
    assert set(config["volumes"]) == {
        "timescaledb-data",
        "mosquitto-config",
        "mosquitto-data",
        "prometheus-data",
        "alertmanager-data",
        "grafana-data",
    }
    assert any(v.startswith("timescaledb-data:") for v in config["services"]["timescaledb"]["volumes"])


def test_images_and_one_envmon_image_for_the_services(config: dict[str, Any]) -> None:
    services = config["services"]
    assert services["timescaledb"]["image"].startswith("timescale/timescaledb:") and services["timescaledb"][
        "image"
    ].endswith("-pg17")
    assert services["mosquitto"]["image"] == "eclipse-mosquitto:2"
    assert services["grafana"]["image"].startswith("grafana/grafana-oss:")
    assert {
        services[n]["image"]
        for n in ("ingest", "alerts", "compensation", "sensorthings", "hj212-gateway", "simulator", "migrate")
    } == {"envmon:latest"}


def test_services_wait_for_the_migration(config: dict[str, Any]) -> None:
    services = config["services"]
    assert services["migrate"]["depends_on"]["timescaledb"]["condition"] == "service_healthy"
    for name in ("ingest", "alerts", "compensation", "sensorthings", "hj212-gateway", "mosquitto"):
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


def test_grafana_gets_provisioning_and_the_committed_boards(config: dict[str, Any]) -> None:
    mounts = config["services"]["grafana"]["volumes"]
    assert f"{REPO}/deploy/grafana/provisioning:/etc/grafana/provisioning:ro" in mounts
    assert f"{REPO}/deploy/grafana/dashboards:/var/lib/grafana/dashboards/envmon:ro" in mounts


@pytest.mark.parametrize("secret", sorted(SECRETS))
def test_a_missing_secret_is_refused(secret: str) -> None:
    result = _config({k: v for k, v in SECRETS.items() if k != secret})
    assert result.returncode != 0
    assert secret in result.stderr
