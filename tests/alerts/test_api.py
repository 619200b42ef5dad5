"""The HTTP API: KPIs from the computed tables, 422 for bad parameters, alerts list and acknowledge."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry
from sqlalchemy import Engine

from services.alerts.api import create_app
from services.alerts.figures.recompute import recompute_days
from tests.alerts.conftest import CITY, air_day, insert, job, water_day

NOW = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)


@pytest.fixture
def client(alerts_db: Engine) -> TestClient:
    with alerts_db.begin() as connection:
        insert(connection, air_day(date(2026, 11, 25)) + air_day(date(2026, 11, 26), pm25=100))
        insert(connection, water_day("PYJ-JINHUA", date(2026, 11, 26), {"nh3n": 1.2, "flow": 9}))
        recompute_days(job(connection, NOW), [date(2026, 11, 25), date(2026, 11, 26)])
    return TestClient(create_app(alerts_db, city=CITY, metrics_registry=CollectorRegistry()))


@pytest.mark.parametrize(
    ("url", "parameter", "message"),
    [
        ("/v1/kpi/water?period=2026-13", "period", "month 13 must be 01..12"),
        ("/v1/kpi/water?period=last-month", "period", "must be a year (2026) or a month (2026-10)"),
        ("/v1/kpi/waste?period=20261", "period", "must be a year"),
        ("/v1/kpi/air?year=99999", "year", "year 99999 must be within 1900..2999"),
        ("/v1/air/daily?from=2026-11-27&to=2026-11-01", "from", "is after to"),
        ("/v1/alerts?state=burning", "state", "must be one of pending, firing, resolved"),
        ("/v1/alerts?severity=loud", "severity", "must be one of info, warning, critical"),
    ],
)
def test_bad_parameters_get_a_clear_422(client: TestClient, url: str, parameter: str, message: str) -> None:
    response = client.get(url)
    assert response.status_code == 422
    [detail] = response.json()["detail"]
    assert detail["loc"] == ["query", parameter] and message in detail["msg"]


@pytest.mark.parametrize("url", ["/v1/kpi/water", "/v1/kpi/air?year=twenty", "/v1/air/daily?from=yesterday"])
def test_missing_or_mistyped_parameters_get_422(client: TestClient, url: str) -> None:
    assert client.get(url).status_code == 422


def test_water_kpi_for_a_month_and_the_year(client: TestClient) -> None:
    month, year = client.get("/v1/kpi/water?period=2026-11").json(), client.get("/v1/kpi/water?period=2026").json()
    assert (month["kind"], year["kind"]) == ("month", "ytd")
    for body in (month, year):
        [section] = body["sections"]
        assert (section["section"], section["water_class"], section["label"]) == ("PYJ-JINHUA", 4, "Ⅳ")
        assert body["class_i_iii"]["share"] == "0"
        assert body["eco_flow"]["city"]["days_attained"] == 1


def test_air_kpi_and_daily_series(client: TestClient) -> None:
    kpi = client.get("/v1/kpi/air?year=2026").json()
    assert (kpi["subject"], kpi["good_days"], kpi["valid_days"]) == (CITY, 1, 2)
    assert kpi["windows"]["month"]["good_days"] == 1
    series = client.get("/v1/air/daily?subject=AIR-KEQIAO&from=2026-11-25&to=2026-11-26").json()
    assert [(d["day"], d["aqi"], d["category"]) for d in series] == [
        ("2026-11-25", 43, "优"),
        ("2026-11-26", 137, "轻度污染"),
    ]
    assert client.get("/v1/kpi/air?year=2001").status_code == 404


def test_health_metrics_and_openapi(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/metrics").status_code == 200
    assert "/v1/kpi/water" in client.get("/openapi.json").json()["paths"]


def test_acknowledging_an_unknown_alert_is_404(client: TestClient) -> None:
    response = client.post("/v1/alerts/nope/acknowledge", json={"by": "张三"})
    assert response.status_code == 404
    assert client.post("/v1/alerts/nope/acknowledge", json={"by": ""}).status_code == 422
