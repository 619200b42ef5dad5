"""Two parties' automatic stations at 杨汛桥 publish diverging NH3-N over MQTT; the alerts cycle computes the
paired comparison, the API publishes it at reporting precision, and Alertmanager gets one alert naming both
parties, routed to each of them.

The whole path is real: each party's gateway account → Mosquitto → ingest → TimescaleDB → alerts cycle →
Alertmanager, with the shipped rule file and routing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry
from sqlalchemy import Engine

from devstack.alertmanager import AlertmanagerProcess
from devstack.ingest_stream import publish_all
from devstack.mosquitto import MosquittoBroker
from devstack.postgres import PostgresCluster
from devstack.processes import wait_until
from services.alerts.api import create_app
from services.alerts.rules.alertmanager import Alertmanager
from services.alerts.rules.definitions import RuleBook, load_rules
from services.alerts.service import AlertsService
from services.alerts.settings import BUILT_IN_RULES, AlertsSettings
from services.common.topics import data_topic
from services.standards.local_time import BEIJING_TIME
from tests.support.ingest import INGEST_ACCOUNT, ingest_environment, running, settings_from, wait_for_rows

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # 10:00 on 20 November, Beijing time
DAYS = [date(2026, 11, day) for day in range(10, 15)]  # the running month
FOUR_HOURLY = range(0, 24, 4)
GRAFANA = "http://grafana.bureau.test"
PUBLIC = "http://alerts.bureau.test"
# Keqiao's station reads NH3-N 0.82 mg/L, Xiaoshan's 0.55: 39.3 % apart, beyond ±20 %. TP agrees.
SOURCES = {
    ("XXJ-YANGXUN", "gw-xxj-yangxun"): {"nh3n": 0.82, "tp": 0.15},
    ("XXJ-YANGXUN-XS", "gw-xs-yangxun"): {"nh3n": 0.55, "tp": 0.16},
}


def _messages(station: str, values: dict[str, float]) -> Iterator[tuple[str, bytes]]:
    for day in DAYS:
        for hour in FOUR_HOURLY:
            moment = datetime(day.year, day.month, day.day, hour, tzinfo=BEIJING_TIME)
            yield data_topic(station, "water"), json.dumps({"time": moment.isoformat(), "values": values}).encode()


def _alerts(alertmanager: AlertmanagerProcess) -> list[dict[str, Any]]:
    response = httpx.get(
        f"{alertmanager.url}/api/v2/alerts", params={"filter": 'alertname="boundary_sources_disagree"'}
    )
    response.raise_for_status()
    alerts: list[dict[str, Any]] = response.json()
    return alerts


def test_diverging_sources_give_comparison_figures_and_an_alert_to_both_parties(
    alerts_db: Engine,
    postgres: PostgresCluster,
    broker: MosquittoBroker,
    mqtt_accounts: dict[str, str],
    alertmanager: AlertmanagerProcess,
) -> None:
    env = ingest_environment(postgres.url, broker, mqtt_accounts[INGEST_ACCOUNT], client_id="ingest-boundary")
    with running(settings_from(env)):
        for (station, gateway), values in SOURCES.items():
            publish_all(broker.url(gateway, mqtt_accounts[gateway]), _messages(station, values), client_id=gateway)
        wait_for_rows(alerts_db, sum(len(v) for v in SOURCES.values()) * len(DAYS) * len(FOUR_HOURLY))

    rules = tuple(rule for rule in load_rules(BUILT_IN_RULES).rules if rule.name == "boundary_sources_disagree")
    settings = AlertsSettings(
        database_url=alerts_db.url.render_as_string(hide_password=False),
        alertmanager_url=alertmanager.url,
        alerts_public_url=PUBLIC,
        grafana_url=GRAFANA,
    )
    clock = lambda: NOW  # noqa: E731 - the service's and the API's clock
    service = AlertsService(
        alerts_db, settings, RuleBook(rules), Alertmanager(alertmanager.url, httpx.Client()), clock=clock
    )
    service.cycle()

    api = TestClient(create_app(alerts_db, settings, metrics_registry=CollectorRegistry(), clock=clock))
    response = api.get("/v1/water/comparisons", params={"period": "2026-11", "section": "XXJ-YANGXUN"})
    assert response.status_code == 200, response.text
    figures = {row["parameter"]: row for row in response.json()}
    assert set(figures) == {"nh3n", "tp"}
    nh3n = figures["nh3n"]
    assert (nh3n["first"]["station"], nh3n["first"]["party_name"], nh3n["first"]["mean"]) == (
        "XXJ-YANGXUN",
        "柯桥区",
        "0.82",
    )
    assert (nh3n["second"]["station"], nh3n["second"]["party_name"], nh3n["second"]["mean"]) == (
        "XXJ-YANGXUN-XS",
        "萧山区",
        "0.55",
    )
    # 0.27 against the mean of the two automatic means (0.685): 39.416 … % → 39.4 %
    assert (nh3n["paired_days"], nh3n["difference"], nh3n["relative_deviation_percent"]) == (5, "0.27", "39.4")
    assert (nh3n["tolerance"], nh3n["agrees"], nh3n["parties"]) == (
        "±0.04 (< 0.2) 或 ±20 %",
        False,
        ["keqiao", "xiaoshan"],
    )
    assert nh3n["published_at"] is None  # the month is still running
    assert (figures["tp"]["difference"], figures["tp"]["agrees"]) == ("-0.01", True)

    [alert] = _alerts(alertmanager)
    assert alert["labels"] == {
        "alertname": "boundary_sources_disagree",
        "subject": "XXJ-YANGXUN",
        "scope": "station",
        "severity": "warning",
        "domain": "water",
        "kind": "comparison",
        "parties": "keqiao,xiaoshan",
        "period": "2026-11",
        "period_kind": "month",
    }
    notes = alert["annotations"]
    assert notes["description"] == (
        "XXJ-YANGXUN 西小江杨汛大桥(金山村)断面 2026年11月(1—20日) 双方监测数据比对不一致："
        "NH3-N 柯桥区自动站 0.82 mg/L，萧山区自动站 0.55 mg/L (相对偏差 39.4 %，允许 ±0.04 (< 0.2) 或 ±20 %)"
    )
    assert (notes["value"], notes["target"]) == ("1 项不一致", "0 项")
    assert notes["api_url"] == f"{PUBLIC}/v1/water/comparisons?period=2026-11&section=XXJ-YANGXUN"
    assert notes["dashboard_url"].startswith(f"{GRAFANA}/d/envmon-boundary?viewPanel=4&var-subject=XXJ-YANGXUN&")
    # deploy/alertmanager: one notification to each party the labels name
    wait_until(
        lambda: sorted(r["name"] for r in _alerts(alertmanager)[0]["receivers"]) == ["party-keqiao", "party-xiaoshan"],
        "the alert routed to both parties",
        timeout=10,
    )
