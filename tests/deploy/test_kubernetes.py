from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from services.common.topics import INGEST_SUBSCRIPTION

KUBERNETES = Path(__file__).resolve().parents[2] / "deploy" / "kubernetes"


def _documents() -> dict[tuple[str, str], dict[str, Any]]:
    kustomization = yaml.safe_load((KUBERNETES / "kustomization.yaml").read_text())
    documents = [d for name in kustomization["resources"] for d in yaml.safe_load_all((KUBERNETES / name).read_text())]
    return {(d["kind"], d["metadata"]["name"]): d for d in documents}


DOCUMENTS = _documents()


def _container(kind: str, name: str) -> dict[str, Any]:
    container: dict[str, Any] = DOCUMENTS[(kind, name)]["spec"]["template"]["spec"]["containers"][0]
    return container


def _env(container: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container.get("env", [])}


def test_ingest_replicas_share_the_subscription_with_stable_client_ids() -> None:
    ingest = DOCUMENTS[("StatefulSet", "ingest")]
    assert ingest["spec"]["replicas"] > 1
    env = _env(_container("StatefulSet", "ingest"))
    assert env["ENVMON_INGEST_SUBSCRIPTION"] == INGEST_SUBSCRIPTION
    assert env["ENVMON_INGEST_CLIENT_ID"] == {"fieldRef": {"fieldPath": "metadata.name"}}


def test_grafana_reads_from_the_replica_and_the_replica_streams_from_the_primary() -> None:
    assert _env(_container("Deployment", "grafana"))["ENVMON_GRAFANA_PG_HOST"].startswith("timescaledb-replica:")
    init = DOCUMENTS[("StatefulSet", "timescaledb-replica")]["spec"]["template"]["spec"]["initContainers"][0]
    assert "pg_basebackup -h timescaledb-primary" in init["args"][0]
    assert DOCUMENTS[("Service", "timescaledb-replica")]["spec"]["selector"]["role"] == "replica"


@pytest.mark.parametrize(
    "key",
    [
        ("Deployment", "alerts"),
        ("Deployment", "compensation"),
        ("Deployment", "hj212-gateway"),
        ("StatefulSet", "ingest"),
    ],
)
def test_services_take_secrets_from_the_secret(key: tuple[str, str]) -> None:
    env = _env(_container(*key))
    assert env["ENVMON_DATABASE_URL"] == {"secretKeyRef": {"name": "envmon-secrets", "key": "database-url"}}


def test_kustomize_inputs_exist() -> None:
    kustomization = yaml.safe_load((KUBERNETES / "kustomization.yaml").read_text())
    files = [f.split("=")[-1] for generator in kustomization["configMapGenerator"] for f in generator["files"]]
    assert [f for f in files if not (KUBERNETES / f).exists()] == []
