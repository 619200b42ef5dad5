"""The under-sampled NO2 day, end to end: a gateway publishes it over MQTT, ingest stores it, the alerts
recompute makes the figures, and ``/v1/air/daily`` answers NO2 100 and AQI 110 (GB 3095's 45-minute rule:
hours 00–03 hold one 15-minute reading each, so only hours 04–23 are valid 1-hour values; see
tests/support/air.py and tests/alerts/figures/test_hourly.py for the arithmetic).

The whole path is real: gateway account → Mosquitto → ingest → TimescaleDB → recompute → alerts API.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry
from sqlalchemy import Engine

from devstack.ingest_stream import publish_all
from devstack.mosquitto import MosquittoBroker
from devstack.postgres import PostgresCluster
from services.alerts.api import create_app
from services.alerts.figures.recompute import run_cycle
from services.alerts.settings import AlertsSettings
from services.common.topics import data_topic
from tests.support.air import under_sampled_no2_day
from tests.support.alerts import CITY, Reading, job
from tests.support.ingest import INGEST_ACCOUNT, ingest_environment, running, settings_from, wait_for_rows
from tests.support.programmes import programme_interval

pytestmark = pytest.mark.integration

STATION, GATEWAY = "AIR-ZHUJI", "gw-air-zhuji"
DAY = date(2026, 6, 10)
NOW = datetime(2026, 6, 11, 2, 0, tzinfo=UTC)  # 10:00 the next day, Beijing time


def _messages(readings: list[Reading]) -> Iterator[tuple[str, bytes]]:
    """One message per timestamp with every value due then, as a gateway sends them."""
    by_time: dict[datetime, dict[str, object]] = defaultdict(dict)
    for row in readings:
        moment = row["time"]
        assert isinstance(moment, datetime)
        by_time[moment][str(row["parameter"])] = row["value"]
    for moment, values in sorted(by_time.items()):
        yield data_topic(STATION, "air"), json.dumps({"time": moment.isoformat(), "values": values}).encode()


def test_the_under_sampled_no2_day_gives_no2_100_and_aqi_110(
    alerts_db: Engine, postgres: PostgresCluster, broker: MosquittoBroker, mqtt_accounts: dict[str, str]
) -> None:
    readings = under_sampled_no2_day(STATION, DAY)
    with programme_interval(alerts_db, STATION, "no2", timedelta(minutes=15)):
        env = ingest_environment(postgres.url, broker, mqtt_accounts[INGEST_ACCOUNT], client_id="ingest-air-e2e")
        with running(settings_from(env)):
            publish_all(broker.url(GATEWAY, mqtt_accounts[GATEWAY]), _messages(readings), client_id=f"{GATEWAY}-e2e")
            wait_for_rows(alerts_db, len(readings))
        with alerts_db.begin() as connection:
            run_cycle(job(connection, NOW))
        client = TestClient(
            create_app(alerts_db, AlertsSettings(alerts_city=CITY), metrics_registry=CollectorRegistry())
        )
        response = client.get(f"/v1/air/daily?subject={STATION}&from={DAY}&to={DAY}")
    assert response.status_code == 200, response.text
    [day] = response.json()
    assert (day["day"], day["no2"], day["aqi"], day["category"], day["primary_pollutants"]) == (
        "2026-06-10",
        "100",
        110,
        "轻度污染",
        ["no2"],
    )
