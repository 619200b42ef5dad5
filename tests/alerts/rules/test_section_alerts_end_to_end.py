"""Readings published over MQTT make two sections fail year to date; Alertmanager's API then shows one share
alert naming both, one alert per section, each with its period, figures at reporting precision and links,
routed and grouped by the shipped configuration.

The whole path is real: gateway account → Mosquitto → ingest → TimescaleDB → alerts cycle → Alertmanager.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine

from devstack.alertmanager import AlertmanagerProcess
from devstack.ingest_stream import publish_all
from devstack.mosquitto import MosquittoBroker
from devstack.postgres import PostgresCluster
from devstack.processes import wait_until
from services.alerts.rules.alertmanager import Alertmanager
from services.alerts.rules.definitions import RuleBook, load_rules
from services.alerts.service import AlertsService
from services.alerts.settings import BUILT_IN_RULES, AlertsSettings
from services.common.topics import data_topic
from services.standards.local_time import BEIJING_TIME
from tests.support.ingest import INGEST_ACCOUNT, ingest_environment, running, settings_from, wait_for_rows

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)  # 10:00 on 27 November, Beijing time
JUNE_DAYS = [date(2026, 6, day) for day in range(1, 6)]  # outside the month window (November, October)
# Each station reports as its programme says (services/storage/registry/programmes.yaml): an automatic
# daily value needs 2/3 of the programme's values (docs/standards.md, water period statistics).
REPORT_HOURS = {"CEJ-SANJIE": range(0, 24, 4), "CEJ-DAZHA": range(24), "PYJ-JINHUA": range(24)}
GRAFANA = "http://grafana.bureau.test"
PUBLIC = "http://alerts.bureau.test"
# CEJ-SANJIE (target Ⅱ) is Class Ⅳ by TP, CEJ-DAZHA (target Ⅲ) Class Ⅴ by DO; PYJ-JINHUA meets Ⅱ.
SECTIONS = {
    "CEJ-SANJIE": {"ph": 7.4, "do": 7.8, "codmn": 2.1, "nh3n": 0.2, "tp": 0.21},
    "CEJ-DAZHA": {"ph": 7.3, "do": 2.5, "codmn": 3.5, "nh3n": 0.4, "tp": 0.12},
    "PYJ-JINHUA": {"ph": 7.5, "do": 8.0, "codmn": 2.5, "nh3n": 0.3, "tp": 0.08},
}
GATEWAYS = {"CEJ-SANJIE": "gw-cej", "CEJ-DAZHA": "gw-cej", "PYJ-JINHUA": "gw-pyj-jinhua"}


def _messages(station: str) -> Iterator[tuple[str, bytes]]:
    for day in JUNE_DAYS:
        for hour in REPORT_HOURS[station]:
            moment = datetime(day.year, day.month, day.day, hour, tzinfo=BEIJING_TIME)
            payload = {"time": moment.isoformat(), "values": SECTIONS[station]}
            yield data_topic(station, "water"), json.dumps(payload).encode()


def _alerts(alertmanager: AlertmanagerProcess, alertname: str) -> list[dict[str, Any]]:
    response = httpx.get(f"{alertmanager.url}/api/v2/alerts", params={"filter": f'alertname="{alertname}"'})
    response.raise_for_status()
    alerts: list[dict[str, Any]] = response.json()
    return sorted(alerts, key=lambda a: a["labels"]["subject"])


def test_two_failing_sections_give_one_share_alert_naming_both_and_two_section_alerts(
    alerts_db: Engine,
    postgres: PostgresCluster,
    broker: MosquittoBroker,
    mqtt_accounts: dict[str, str],
    alertmanager: AlertmanagerProcess,
) -> None:
    env = ingest_environment(postgres.url, broker, mqtt_accounts[INGEST_ACCOUNT], client_id="ingest-section-alerts")
    with running(settings_from(env)):
        for station, gateway in GATEWAYS.items():
            publish_all(broker.url(gateway, mqtt_accounts[gateway]), _messages(station), client_id=f"{gateway}-test")
        wait_for_rows(alerts_db, sum(len(v) * len(REPORT_HOURS[s]) for s, v in SECTIONS.items()) * len(JUNE_DAYS))

    water_rules = tuple(rule for rule in load_rules(BUILT_IN_RULES).rules if rule.labels["domain"] == "water")
    settings = AlertsSettings(
        database_url=alerts_db.url.render_as_string(hide_password=False),
        alertmanager_url=alertmanager.url,
        alerts_public_url=PUBLIC,
        grafana_url=GRAFANA,
    )
    service = AlertsService(
        alerts_db, settings, RuleBook(water_rules), Alertmanager(alertmanager.url, httpx.Client()), clock=lambda: NOW
    )
    service.cycle()  # ingest queued the June days (late data); this cycle recomputes them and their periods

    [share] = _alerts(alertmanager, "water_class_i_iii_share_target")
    assert share["labels"] == {
        "alertname": "water_class_i_iii_share_target",
        "subject": "绍兴市",
        "scope": "city",
        "severity": "critical",
        "domain": "water",
        "kind": "target",
        "target": "class_i_iii_share_100",
        "period": "2026",
        "period_kind": "year",
    }
    notes = share["annotations"]
    assert notes["sections"] == "CEJ-DAZHA,CEJ-SANJIE"  # the worst first
    assert notes["description"] == (
        "2026年(1月1日—11月27日) 考核断面 3 个，Ⅰ–Ⅲ类 1 个 (33.3 %)；"
        "未达Ⅲ类：CEJ-DAZHA 曹娥江大闸断面 Ⅴ类 (DO 2.5 mg/L)，CEJ-SANJIE 曹娥江三界断面 Ⅳ类 (TP 0.21 mg/L)"
    )
    assert (notes["value"], notes["target"]) == ("33.3 %", "≥ 100.0 %")
    assert notes["api_url"] == f"{PUBLIC}/v1/kpi/water?period=2026"
    assert notes["runbook_url"] == f"{PUBLIC}/runbooks#water_class_i_iii_share_target"
    start = int(datetime(2026, 1, 1, tzinfo=BEIJING_TIME).timestamp() * 1000)
    assert notes["dashboard_url"] == (
        f"{GRAFANA}/d/envmon-water?viewPanel=1&var-subject=%E7%BB%8D%E5%85%B4%E5%B8%82"
        f"&from={start}&to={int(NOW.timestamp() * 1000)}"
    )

    sections = _alerts(alertmanager, "section_worse_than_target_ytd")
    assert [(a["labels"]["subject"], a["labels"]["period"], a["labels"]["period_kind"]) for a in sections] == [
        ("CEJ-DAZHA", "2026", "year"),
        ("CEJ-SANJIE", "2026", "year"),
    ]
    assert [(a["annotations"]["value"], a["annotations"]["target"]) for a in sections] == [
        ("Ⅴ类", "Ⅲ类"),
        ("Ⅳ类", "Ⅱ类"),
    ]
    assert sections[1]["annotations"]["description"] == (
        "CEJ-SANJIE 曹娥江三界断面 2026年(1月1日—11月27日) Ⅳ类 (TP 0.21 mg/L)，目标 Ⅱ类；计入Ⅰ–Ⅲ类断面比例考核"
    )
    assert sections[1]["annotations"]["subject_name"] == "曹娥江三界断面"
    assert sections[1]["annotations"]["api_url"] == f"{PUBLIC}/v1/water/classes?period=2026&section=CEJ-SANJIE"
    # June is long past the month window, so no monthly alert; the months tally names June.
    assert _alerts(alertmanager, "section_worse_than_target_month") == []
    months = {
        a["labels"]["subject"]: a["annotations"]["description"]
        for a in _alerts(alertmanager, "section_months_worse_than_target")
    }
    assert months["CEJ-SANJIE"] == (
        "CEJ-SANJIE 曹娥江三界断面 2026年 1 个完整月中 1 个月劣于目标 Ⅱ类：6月 Ⅳ类 (TP 0.21 mg/L)；月度达标率 0.0 %"
    )
    assert NOW - timedelta(days=1) < datetime.fromisoformat(share["startsAt"])

    # deploy/alertmanager: the critical target on its own receiver; one group per domain and subject.
    assert [r["name"] for r in share["receivers"]] == ["targets-critical"]
    expected = {
        ("绍兴市", "targets-critical"): ["water_class_i_iii_share_target"],
        **{
            (section, "duty-officer"): ["section_months_worse_than_target", "section_worse_than_target_ytd"]
            for section in ("CEJ-DAZHA", "CEJ-SANJIE")
        },
    }

    def grouped() -> dict[tuple[str, str], list[str]]:
        groups = httpx.get(f"{alertmanager.url}/api/v2/alerts/groups").json()
        return {
            (g["labels"]["subject"], g["receiver"]["name"]): sorted(a["labels"]["alertname"] for a in g["alerts"])
            for g in groups
        }

    wait_until(lambda: grouped() == expected, f"the groups {expected}", timeout=10)
