"""``envmon alerts`` as users run it: a real subprocess against the session's private Alertmanager, database and broker.

It serves /healthz and the KPI API, runs compute cycles on seeded readings (real clock: yesterday in
Beijing time), pushes the alerts to Alertmanager, publishes the retained MQTT snapshot and stops
cleanly on SIGTERM.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine

from devstack.alertmanager import AlertmanagerProcess
from devstack.mosquitto import MosquittoBroker
from devstack.processes import free_port, wait_until
from services.standards.local_time import local_date
from tests.support.alerts import air_day, insert, retained_snapshots

pytestmark = pytest.mark.integration

STATION = "AIR-SHENGZHOU"  # provincial: not one of the city's stations, so its AQI is its own
SHUTDOWN_SECONDS = 30
CYCLE_SECONDS = "1"


def _get(url: str) -> httpx.Response | None:
    try:
        return httpx.get(url, timeout=2)
    except httpx.HTTPError:
        return None


def _ok(url: str) -> bool:
    response = _get(url)
    return response is not None and response.status_code == 200


def _pushed(alertmanager: AlertmanagerProcess) -> list[dict[str, Any]]:
    response = httpx.get(
        f"{alertmanager.url}/api/v2/alerts",
        params={"filter": ['alertname="daily_aqi_above_100"', f'subject="{STATION}"']},
    )
    response.raise_for_status()
    alerts: list[dict[str, Any]] = response.json()
    return alerts


def test_the_service_runs_serves_pushes_and_stops_on_sigterm(
    alerts_db: Engine,
    alertmanager: AlertmanagerProcess,
    broker: MosquittoBroker,
    mqtt_accounts: dict[str, str],
    tmp_path: Path,
) -> None:
    yesterday = local_date(datetime.now(UTC)) - timedelta(days=1)
    with alerts_db.begin() as connection:
        insert(connection, air_day(yesterday, stations=(STATION,), pm25=100))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "ENVMON_DATABASE_URL": alerts_db.url.render_as_string(hide_password=False),
        "ENVMON_MQTT_URL": broker.url("envmon-alerts", mqtt_accounts["envmon-alerts"]),
        "ENVMON_ALERTMANAGER_URL": alertmanager.url,
        "ENVMON_ALERTS_HTTP_HOST": "127.0.0.1",
        "ENVMON_ALERTS_HTTP_PORT": str(port),
        "ENVMON_ALERTS_PUBLIC_URL": base,
        "ENVMON_ALERTS_INTERVAL_SECONDS": CYCLE_SECONDS,
        "ENVMON_LOG_LEVEL": "WARNING",
    }
    log_path = tmp_path / "alerts.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "services.cli", "alerts"], env=env, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        wait_until(lambda: _ok(f"{base}/healthz"), "the alerts API", timeout=60, process=process)
        wait_until(lambda: bool(_pushed(alertmanager)), "the AQI alert in Alertmanager", timeout=60, process=process)
        [alert] = _pushed(alertmanager)
        assert alert["annotations"]["value"] == "137"  # HJ 633: ⌈100 + 50·(100−75)/(115−75)⌉
        assert alert["generatorURL"].startswith(f"{base}/v1/alerts/")

        series = httpx.get(
            f"{base}/v1/air/daily",
            params={"subject": STATION, "from": yesterday.isoformat(), "to": yesterday.isoformat()},
        ).json()
        assert [(d["day"], d["aqi"]) for d in series] == [(yesterday.isoformat(), 137)]
        kpi = httpx.get(f"{base}/v1/kpi/air", params={"year": yesterday.year, "subject": STATION}).json()
        assert (kpi["good_days"], kpi["valid_days"]) == (0, 1)
        assert kpi["pm25"]["this_year"]["coverage"]["observed"] == 1
        assert 'envmon_alerts_cycles_total{outcome="ok"}' in httpx.get(f"{base}/metrics").text

        def snapshot_has_station() -> bool:
            warning = json.loads(retained_snapshots(broker, mqtt_accounts)["envmon/v1/alerts/warning"])
            return any(a["subject"] == STATION and a["rule"] == "daily_aqi_above_100" for a in warning["alerts"])

        wait_until(snapshot_has_station, "the retained warning snapshot", timeout=30)

        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=SHUTDOWN_SECONDS) == 0, log_path.read_text()
        assert _get(f"{base}/healthz") is None  # the port is closed
        assert "Traceback" not in log_path.read_text()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
