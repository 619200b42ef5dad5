"""Heavy pollution (重污染天气) end to end: hourly readings make the city's AQI exceed 200 for 30 hours, the alerts
cycle recomputes the hourly AQI, the episode rule fires and the real Alertmanager shows it, routed as critical;
a forecast the bureau posts to the API raises the province's warning level, and a lower one resolves it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry
from sqlalchemy import Engine, text

from devstack.alertmanager import AlertmanagerProcess
from devstack.processes import wait_until
from services.alerts.api import create_app
from services.alerts.rules.alertmanager import Alertmanager
from services.alerts.rules.definitions import RuleBook, load_rules
from services.alerts.service import AlertsService
from services.alerts.settings import BUILT_IN_RULES, AlertsSettings
from tests.support.alerts import CITY, air_day, insert

NOW = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)  # 10:00 on 3 December, Beijing time
YESTERDAY, TODAY = date(2026, 12, 2), date(2026, 12, 3)
GRAFANA = "http://grafana.bureau.test"
PUBLIC = "http://alerts.bureau.test"
BOOK = load_rules(BUILT_IN_RULES)
HEAVY_RULES = RuleBook(
    tuple(r for r in BOOK.rules if r.labels.get("kind") == "episode"), heavy_pollution=BOOK.heavy_pollution
)

pytestmark = pytest.mark.integration


def _service(engine: Engine, alertmanager: AlertmanagerProcess, clock: Callable[[], datetime]) -> AlertsService:
    settings = AlertsSettings(
        database_url=engine.url.render_as_string(hide_password=False),
        alertmanager_url=alertmanager.url,
        alerts_public_url=PUBLIC,
        grafana_url=GRAFANA,
    )
    return AlertsService(engine, settings, HEAVY_RULES, Alertmanager(alertmanager.url, httpx.Client()), clock=clock)


def _active(alertmanager: AlertmanagerProcess, alertname: str) -> list[dict[str, Any]]:
    response = httpx.get(f"{alertmanager.url}/api/v2/alerts", params={"filter": f'alertname="{alertname}"'})
    response.raise_for_status()
    alerts: list[dict[str, Any]] = response.json()
    return alerts


def _readings() -> list[dict[str, object]]:
    """The city's three stations: clean until 04:00 yesterday, PM2.5 200 µg/m³ (hourly IAQI 250) from then on."""
    return [
        *air_day(YESTERDAY, hours=range(4)),
        *air_day(YESTERDAY, hours=range(4, 24), pm25=200),
        *air_day(TODAY, hours=range(10), pm25=200),
    ]


def test_a_day_of_aqi_above_200_fires_the_episode_alert_routed_as_critical(
    alerts_db: Engine, alertmanager: AlertmanagerProcess
) -> None:
    with alerts_db.begin() as connection:
        insert(connection, _readings())
    clock = [NOW - timedelta(hours=7)]
    service = _service(alerts_db, alertmanager, lambda: clock[0])

    service.cycle()  # 03:00: 23 hours above 200 (04:00–02:00), not yet an episode
    assert _active(alertmanager, "heavy_pollution_episode") == []
    clock[0] = NOW
    service.cycle()  # 10:00: 30 hours

    wait_until(lambda: bool(_active(alertmanager, "heavy_pollution_episode")), "the episode alert", timeout=10)
    [episode] = _active(alertmanager, "heavy_pollution_episode")
    assert episode["labels"] == {
        "alertname": "heavy_pollution_episode",
        "subject": CITY,
        "scope": "city",
        "severity": "critical",
        "domain": "air",
        "kind": "episode",
        "period": "current",
        "period_kind": "current",
    }
    notes = episode["annotations"]
    assert notes["description"] == (
        "绍兴市 自 2026-12-02 04:00 起小时AQI连续 30 小时高于 200(重度污染及以上)，最高 250；"
        "最近 2026-12-03 09:00 时段小时AQI 250"
    )
    assert (notes["value"], notes["target"]) == ("30 小时", "小时AQI > 200 不足 24 小时")
    assert notes["period_label"] == "截至 2026-12-03 10:00"
    city = "%E7%BB%8D%E5%85%B4%E5%B8%82"
    assert notes["api_url"] == f"{PUBLIC}/v1/air/daily?subject={city}&from=2026-12-02&to=2026-12-03"
    assert notes["dashboard_url"].startswith(f"{GRAFANA}/d/envmon-air?viewPanel=7&var-subject=")
    assert notes["runbook_url"] == f"{PUBLIC}/runbooks#heavy_pollution_episode"
    assert [r["name"] for r in episode["receivers"]] == ["heavy-pollution"]

    # The bureau's forecast says the episode goes on: the warning's text says how long it has lasted so far.
    api = TestClient(create_app(alerts_db, service.settings, metrics_registry=CollectorRegistry(), clock=lambda: NOW))
    days = [{"day": "2026-12-03", "aqi": 260}, {"day": "2026-12-04", "aqi": 240}]
    assert api.post("/v1/air/forecasts", json={"by": "张三", "days": days}).json()["warning"] == "黄色预警"
    service.cycle()
    wait_until(lambda: bool(_active(alertmanager, "heavy_pollution_warning")), "the warning alert", timeout=10)
    [warning] = _active(alertmanager, "heavy_pollution_warning")
    assert warning["annotations"]["description"] == (
        "绍兴市 张三 2026-12-03 10:00 报送的日AQI预报：12月3日 260，12月4日 240；AQI > 200 共 2 天，"
        "达到黄色预警条件；当前小时AQI已连续 30 小时高于 200"
    )


def test_a_posted_forecast_raises_the_warning_level_and_a_lower_one_resolves_it(
    alerts_db: Engine, alertmanager: AlertmanagerProcess
) -> None:
    service = _service(alerts_db, alertmanager, lambda: NOW)
    settings = service.settings.model_copy(update={"alerts_identity_header": "X-Forwarded-User"})
    api = TestClient(create_app(alerts_db, settings, metrics_registry=CollectorRegistry(), clock=lambda: NOW))
    user = {"X-Forwarded-User": "zhangsan"}
    # Yesterday's and today's days: yesterday no longer counts, so two days above 200 with one above 300.
    days = [("2026-12-02", 330), ("2026-12-03", 260), ("2026-12-04", 320), ("2026-12-05", 240)]
    body = {"by": "张三", "comment": "省市会商", "days": [{"day": d, "aqi": v} for d, v in days]}
    response = api.post("/v1/air/forecasts", json=body, headers=user)
    assert response.status_code == 201, response.text
    receipt = response.json()
    assert (receipt["subject"], receipt["actor"], receipt["submitted_by"]) == (CITY, "zhangsan", "张三")
    assert (receipt["warning_level"], receipt["warning"]) == (2, "橙色预警")
    assert api.post("/v1/air/forecasts", json=body).status_code == 401  # the proxy's identity is required

    service.cycle()
    wait_until(lambda: bool(_active(alertmanager, "heavy_pollution_warning")), "the warning alert", timeout=10)
    [warning] = _active(alertmanager, "heavy_pollution_warning")
    assert (warning["labels"]["severity"], warning["labels"]["kind"]) == ("critical", "episode")
    notes = warning["annotations"]
    assert (notes["value"], notes["warning_level"], notes["target"]) == ("橙色预警", "橙色预警", "未达预警条件")
    assert notes["description"] == (
        "绍兴市 张三 2026-12-03 10:00 报送的日AQI预报：12月3日 260，12月4日 320，12月5日 240；"
        "AQI > 200 共 3 天，达到橙色预警条件"
    )
    assert [r["name"] for r in warning["receivers"]] == ["heavy-pollution"]

    lower = {"by": "张三", "days": [{"day": "2026-12-03", "aqi": 190}, {"day": "2026-12-04", "aqi": 150}]}
    assert api.post("/v1/air/forecasts", json=lower, headers=user).json()["warning"] is None
    service.cycle()
    wait_until(lambda: _active(alertmanager, "heavy_pollution_warning") == [], "the warning resolved", timeout=10)
    with alerts_db.connect() as connection:
        state = connection.execute(text("select state from alert_states where rule = 'heavy_pollution_warning'"))
        assert state.scalar_one() == "resolved"
    listed = api.get("/v1/air/forecasts").json()  # newest first: the one the warning rests on
    assert [(f["submitted_by"], f["actor"], f["warning"], len(f["days"])) for f in listed] == [
        ("张三", "zhangsan", None, 2),
        ("张三", "zhangsan", "橙色预警", 4),
    ]
