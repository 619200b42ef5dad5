"""Delivery through a real Alertmanager (checked through its own API) and retained MQTT snapshots."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, text

from devstack.alertmanager import AlertmanagerProcess
from devstack.mosquitto import MosquittoBroker
from devstack.processes import free_port, wait_until
from services.alerts.rules.alertmanager import Alertmanager, deliver_outbox
from services.alerts.rules.definitions import RuleBook, load_rules
from services.alerts.rules.mqtt_snapshots import SnapshotPublisher
from services.alerts.rules.store import acknowledge
from services.alerts.service import AlertsService
from services.alerts.settings import BUILT_IN_RULES, AlertsSettings
from services.common.mqtt_url import MqttEndpoint
from tests.support.alerts import CITY, air_day, insert, retained_snapshots

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
YESTERDAY = date(2026, 11, 26)
POLLUTED = ("AIR-KEQIAO", "AIR-SHANGYU")
AQI_RULES = tuple(r for r in load_rules(BUILT_IN_RULES).rules if r.name.startswith("daily_aqi"))


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


def make_service(
    engine: Engine, url: str, clock: Clock, rules: Any = AQI_RULES, publisher: SnapshotPublisher | None = None
) -> AlertsService:
    settings = AlertsSettings(
        database_url=engine.url.render_as_string(hide_password=False), alertmanager_url=url, alerts_resend_seconds=3600
    )
    return AlertsService(engine, settings, RuleBook(rules), Alertmanager(url, httpx.Client()), publisher, clock)


def am_alerts(alertmanager: AlertmanagerProcess, alertname: str, **params: str) -> list[dict[str, Any]]:
    response = httpx.get(f"{alertmanager.url}/api/v2/alerts", params={"filter": f'alertname="{alertname}"', **params})
    response.raise_for_status()
    result: list[dict[str, Any]] = response.json()
    return result


def test_alertmanager_receives_groups_and_resolves(alerts_db: Engine, alertmanager: AlertmanagerProcess) -> None:
    clock = Clock()
    service = make_service(alerts_db, alertmanager.url, clock)
    with alerts_db.begin() as connection:
        insert(connection, air_day(YESTERDAY, stations=POLLUTED, pm25=100))
    transitions = service.cycle()
    assert {(t.rule, t.subject, t.to_state) for t in transitions} == {
        ("daily_aqi_above_100", subject, "firing") for subject in (*POLLUTED, CITY)
    }

    active = am_alerts(alertmanager, "daily_aqi_above_100")
    assert {a["labels"]["subject"] for a in active} == {*POLLUTED, CITY}
    assert {a["labels"]["severity"] for a in active} == {"warning"}
    assert {a["annotations"]["value"] for a in active} == {"137"}

    def grouped() -> bool:
        groups = httpx.get(f"{alertmanager.url}/api/v2/alerts/groups").json()
        by_subject = {g["labels"]["subject"]: len(g["alerts"]) for g in groups if g["labels"].get("domain") == "air"}
        return by_subject == dict.fromkeys((*POLLUTED, CITY), 1)

    wait_until(grouped, "one Alertmanager group per subject (deploy/alertmanager: domain, subject)", timeout=10)
    # The city is non-good that day: its stations' alerts are the same regional episode, kept but inhibited.
    inhibited = {a["labels"]["subject"] for a in active if a["status"]["inhibitedBy"]}
    assert inhibited == set(POLLUTED)

    with alerts_db.begin() as connection:
        connection.execute(text("update readings set value = 30 where parameter = 'pm25'"))
    clock.now = NOW + timedelta(minutes=5)
    resolved = service.cycle()
    assert {(t.subject, t.to_state) for t in resolved} == {(s, "resolved") for s in (*POLLUTED, CITY)}
    assert am_alerts(alertmanager, "daily_aqi_above_100", active="true") == []
    with alerts_db.connect() as connection:
        history = (
            connection.execute(
                text(
                    "select to_state from alert_history h join alert_states s using (fingerprint) "
                    "where s.subject = 'AIR-KEQIAO' order by h.id"
                )
            )
            .scalars()
            .all()
        )
    assert history == ["firing", "resolved"]


def test_nothing_is_lost_while_alertmanager_is_down(alerts_db: Engine, alertmanager: AlertmanagerProcess) -> None:
    rules = tuple(replace(rule, name=f"retry_{rule.name}") for rule in AQI_RULES)
    down = make_service(alerts_db, f"http://127.0.0.1:{free_port()}", Clock(), rules)
    with alerts_db.begin() as connection:
        insert(connection, air_day(YESTERDAY, stations=("AIR-KEQIAO",), pm25=300))
    down.cycle()
    with alerts_db.connect() as connection:
        waiting = connection.execute(
            text("select attempts, last_error is not null from alert_outbox where delivered_at is null")
        ).all()
    # AIR-KEQIAO and the city (its only station with data) cross both 100 and 200.
    assert waiting == [(1, True)] * 4
    assert deliver_outbox(alerts_db, Alertmanager(alertmanager.url, httpx.Client())) == 4
    subjects = {a["labels"]["subject"] for a in am_alerts(alertmanager, "retry_daily_aqi_above_200")}
    assert subjects == {"AIR-KEQIAO", CITY}


def test_acknowledgement_is_kept_with_history(alerts_db: Engine, alertmanager: AlertmanagerProcess) -> None:
    with alerts_db.begin() as connection:
        insert(connection, air_day(YESTERDAY, stations=("AIR-ZHUJI",), pm25=100))
    make_service(alerts_db, alertmanager.url, Clock()).cycle()
    with alerts_db.begin() as connection:
        key = connection.execute(text("select fingerprint from alert_states where subject = 'AIR-ZHUJI'")).scalar_one()
        assert acknowledge(connection, key, "值班员张三", "已通知柯桥分局", NOW)
        assert not acknowledge(connection, "no-such-fingerprint", "x", None, NOW)
        state = connection.execute(
            text("select acknowledged_by, acknowledge_comment from alert_states where fingerprint = :k"), {"k": key}
        ).one()
        events = connection.execute(
            text("select event, actor from alert_history where fingerprint = :k order by id"), {"k": key}
        ).all()
    assert tuple(state) == ("值班员张三", "已通知柯桥分局")
    assert [tuple(e) for e in events] == [("transition", None), ("acknowledged", "值班员张三")]


def test_snapshots_are_published_retained_per_severity(
    alerts_db: Engine,
    alertmanager: AlertmanagerProcess,
    broker: MosquittoBroker,
    mqtt_accounts: dict[str, str],
) -> None:
    endpoint = MqttEndpoint.parse(broker.url("envmon-alerts", mqtt_accounts["envmon-alerts"]))
    publisher = SnapshotPublisher(endpoint)
    wait_until(publisher.client.is_connected, "alerts publisher connected", timeout=10)
    with alerts_db.begin() as connection:
        insert(connection, air_day(YESTERDAY, stations=("AIR-XINCHANG",), pm25=100))
    make_service(alerts_db, alertmanager.url, Clock(), publisher=publisher).cycle()
    publisher.close()
    holder = retained_snapshots(broker, mqtt_accounts)
    warning = json.loads(holder["envmon/v1/alerts/warning"])
    assert [(a["rule"], a["subject"], a["state"]) for a in warning["alerts"]] == [
        ("daily_aqi_above_100", "AIR-XINCHANG", "firing")
    ]
    assert json.loads(holder["envmon/v1/alerts/critical"])["alerts"] == []
