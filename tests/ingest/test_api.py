"""The ingest service's operator API: typed answers, readiness as 200/503, and its OpenAPI contract fuzzed."""

from __future__ import annotations

from functools import partial

import pytest
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry

from services.ingest.api import create_app
from services.ingest.service import Health
from tests.support.contract import asgi_contract, assert_contract, untyped_successes
from tests.support.ingest import SettingsFactory, running, wait_for


def test_readiness_follows_broker_database_and_worker() -> None:
    cases = [(True, True, True, 200), (False, True, True, 503), (True, False, True, 503), (True, True, False, 503)]
    for broker, database, worker, status in cases:
        client = TestClient(create_app(partial(Health, broker, database, worker), CollectorRegistry()))
        response = client.get("/readyz")
        assert response.status_code == status
        assert response.json() == {"ready": status == 200, "broker": broker, "database": database, "worker": worker}


def test_every_2xx_has_a_response_schema() -> None:
    assert untyped_successes(create_app(partial(Health, True, True, True), CollectorRegistry()).openapi()) == []


@pytest.mark.integration
def test_a_running_replica_keeps_its_contract(ingest_settings: SettingsFactory) -> None:
    with running(ingest_settings()) as service:
        # Ready only once the worker has started and reached the database: a 503 before that is the
        # documented answer of a starting replica, not the contract of a running one.
        wait_for(lambda: service.health().ready, "the replica to be ready")
        app = create_app(service.health, service.pipeline.metrics.registry)
        assert_contract(asgi_contract(app, max_examples=10), expected_operations=3)
