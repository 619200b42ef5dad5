"""The alerts service's Prometheus metrics live on its own registry, served by its own /metrics."""

from __future__ import annotations

from fastapi.testclient import TestClient
from prometheus_client import REGISTRY
from sqlalchemy import create_engine

from services.alerts.api import create_app
from services.alerts.metrics import AlertsMetrics
from services.alerts.settings import AlertsSettings


def test_each_service_counts_on_its_own_registry() -> None:
    first, second = AlertsMetrics(), AlertsMetrics()
    first.cycles.labels("ok").inc()
    assert first.registry.get_sample_value("envmon_alerts_cycles_total", {"outcome": "ok"}) == 1
    assert second.registry.get_sample_value("envmon_alerts_cycles_total", {"outcome": "ok"}) is None
    assert REGISTRY.get_sample_value("envmon_alerts_cycles_total", {"outcome": "ok"}) is None


def test_metrics_serves_the_registry_it_is_given() -> None:
    metrics = AlertsMetrics()
    metrics.delivered.inc(3)
    engine = create_engine("postgresql+psycopg://nobody@127.0.0.1:1/unused")  # /metrics never connects
    body = TestClient(create_app(engine, AlertsSettings(), metrics_registry=metrics.registry)).get("/metrics").text
    assert "envmon_alerts_delivered_total 3.0" in body
