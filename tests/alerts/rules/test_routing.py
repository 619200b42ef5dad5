"""deploy/alertmanager/alertmanager.yml, the routing that ships: checked by amtool, then proven on a real
Alertmanager fed by the alerts service (grouping by domain and subject, a silent station's other alerts
inhibited, critical targets on their own receiver)."""

from __future__ import annotations

import subprocess
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine

from devstack.alertmanager import DEPLOY_CONFIG, AlertmanagerProcess
from devstack.processes import wait_until
from services.alerts.rules.alertmanager import Alertmanager
from services.alerts.rules.definitions import RuleBook, load_rules
from services.alerts.service import AlertsService
from services.alerts.settings import BUILT_IN_RULES, AlertsSettings
from tests.support.alerts import air_day, insert, local, reading

AMTOOL = "/usr/bin/amtool"
NOW = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)  # 10:00 Beijing time
YESTERDAY = date(2026, 11, 26)
RULES = {r.name: r for r in load_rules(BUILT_IN_RULES).rules}


@pytest.mark.integration
@pytest.mark.parametrize(
    ("labels", "receiver"),
    [
        ({"kind": "target", "severity": "critical", "domain": "water"}, "targets-critical"),
        ({"kind": "target", "severity": "warning", "domain": "air"}, "duty-officer"),  # PM2.5 not falling
        ({"kind": "assessment", "severity": "warning", "domain": "water"}, "duty-officer"),
        ({"kind": "silence", "severity": "warning", "domain": "data"}, "data-quality"),
        ({"kind": "threshold", "severity": "critical", "domain": "air"}, "duty-officer"),  # AQI > 200
        ({"kind": "episode", "severity": "critical", "domain": "air"}, "heavy-pollution"),  # 重污染天气
        # a boundary comparison reaches both parties its labels name, one receiver each
        ({"kind": "comparison", "domain": "water", "parties": "keqiao,xiaoshan"}, "party-keqiao,party-xiaoshan"),
        ({"kind": "comparison", "domain": "water", "parties": "xiaoshan,zhejiang"}, "party-zhejiang,party-xiaoshan"),
        ({"kind": "comparison", "domain": "water", "parties": "somewhere"}, "duty-officer"),
    ],
)
def test_amtool_accepts_the_config_and_routes_each_kind(labels: dict[str, str], receiver: str) -> None:
    subprocess.run([AMTOOL, "check-config", str(DEPLOY_CONFIG)], check=True, capture_output=True)
    matchers = [f"{key}={value}" for key, value in labels.items()]
    routed = subprocess.run(
        [AMTOOL, "config", "routes", "test", f"--config.file={DEPLOY_CONFIG}", *matchers],
        check=True,
        capture_output=True,
        text=True,
    )
    assert routed.stdout.split() == [receiver]


def test_every_rule_reaches_a_receiver_by_its_own_labels() -> None:
    """Each built-in rule carries the labels the routing tree matches on."""
    for rule in RULES.values():
        assert {"domain", "kind"} <= set(rule.labels), rule.name


def _service(engine: Engine, alertmanager: AlertmanagerProcess, *names: str) -> AlertsService:
    settings = AlertsSettings(
        database_url=engine.url.render_as_string(hide_password=False), alertmanager_url=alertmanager.url
    )
    book = RuleBook(tuple(RULES[name] for name in names))
    return AlertsService(engine, settings, book, Alertmanager(alertmanager.url, httpx.Client()), clock=lambda: NOW)


def _alerts(alertmanager: AlertmanagerProcess) -> dict[tuple[str, str], dict[str, Any]]:
    alerts = httpx.get(f"{alertmanager.url}/api/v2/alerts").json()
    return {(a["labels"]["alertname"], a["labels"]["subject"]): a for a in alerts}


def _groups(alertmanager: AlertmanagerProcess) -> dict[tuple[str, str], tuple[str, set[str]]]:
    groups = httpx.get(f"{alertmanager.url}/api/v2/alerts/groups").json()
    return {
        (g["labels"]["domain"], g["labels"]["subject"]): (
            g["receiver"]["name"],
            {a["labels"]["alertname"] for a in g["alerts"]},
        )
        for g in groups
    }


@pytest.mark.integration
def test_a_silent_station_inhibits_its_other_alerts(alerts_db: Engine, alertmanager: AlertmanagerProcess) -> None:
    # Both provincial stations (not the city's) were non-good yesterday; AIR-ZHUJI has sent nothing since
    # 03:00 today (silent at 10:00), AIR-XINCHANG reported half an hour ago.
    with alerts_db.begin() as connection:
        insert(connection, air_day(YESTERDAY, stations=("AIR-ZHUJI", "AIR-XINCHANG"), pm25=100))
        insert(connection, air_day(YESTERDAY + timedelta(days=1), stations=("AIR-ZHUJI",), hours=range(3)))
        insert(connection, [reading("AIR-XINCHANG", "pm25", NOW - timedelta(minutes=30), 30)])
    service = _service(alerts_db, alertmanager, "station_silent", "daily_aqi_above_100")
    service.cycle()
    # Silence fires once it has held for the rule's minimum duration.
    service.clock = lambda: NOW + RULES["station_silent"].for_duration
    service.cycle()

    def routed() -> bool:
        return len(_groups(alertmanager)) >= 3

    wait_until(routed, "the alerts grouped in Alertmanager", timeout=10)
    alerts = _alerts(alertmanager)
    silent = alerts[("station_silent", "AIR-ZHUJI")]
    zhuji, xinchang = (alerts[("daily_aqi_above_100", s)] for s in ("AIR-ZHUJI", "AIR-XINCHANG"))
    assert zhuji["status"]["state"] == "suppressed"
    assert zhuji["status"]["inhibitedBy"] == [silent["fingerprint"]]
    assert xinchang["status"] == {"state": "active", "inhibitedBy": [], "silencedBy": []}
    assert ("station_silent", "AIR-XINCHANG") not in alerts
    assert [r["name"] for r in silent["receivers"]] == ["data-quality"]
    groups = _groups(alertmanager)
    assert groups[("air", "AIR-ZHUJI")] == ("duty-officer", {"daily_aqi_above_100"})
    assert groups[("data", "AIR-ZHUJI")] == ("data-quality", {"station_silent"})
    assert groups[("air", "AIR-XINCHANG")] == ("duty-officer", {"daily_aqi_above_100"})
    assert zhuji["labels"]["period"] == "2026-11-26" and silent["labels"]["period"] == "current"


@pytest.mark.integration
def test_heavy_pollution_inhibits_the_same_days_non_good_alert(
    alerts_db: Engine, alertmanager: AlertmanagerProcess
) -> None:
    with alerts_db.begin() as connection:
        insert(connection, air_day(YESTERDAY, stations=("AIR-SHENGZHOU",), pm25=200))
        insert(connection, [reading("AIR-SHENGZHOU", "pm25", local(YESTERDAY + timedelta(days=1), 9), 80)])
    _service(alerts_db, alertmanager, "daily_aqi_above_100", "daily_aqi_above_200").cycle()
    wait_until(lambda: bool(_groups(alertmanager)), "the alerts grouped in Alertmanager", timeout=10)
    alerts = _alerts(alertmanager)
    above_200 = alerts[("daily_aqi_above_200", "AIR-SHENGZHOU")]
    assert above_200["status"]["state"] == "active" and above_200["annotations"]["value"] == "250"
    assert alerts[("daily_aqi_above_100", "AIR-SHENGZHOU")]["status"]["inhibitedBy"] == [above_200["fingerprint"]]
