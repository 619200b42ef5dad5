"""SensorThings test data: partner keys, readings at the boundary sections and elsewhere, and the
``envmon sensorthings`` process (tests/sensorthings/)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http import HTTPStatus

import httpx
from sqlalchemy import Connection, insert

from devstack.processes import free_port
from services.sensorthings import keys
from services.storage.schema import readings

XIAOSHAN_KEY = "xiaoshan-test-key-0123456789abcdefghijklmnop"
FUYANG_KEY = "fuyang-test-key-0123456789abcdefghijklmnopqr"
START = datetime(2026, 11, 1, tzinfo=UTC)  # 2026-11-01 08:00 Beijing time
HOURS = 250
IN_SCOPE = ("XXJ-YANGXUN-XS", "XXJ-YANGXUN")
OUT_OF_SCOPE = ("AIR-YUECHENG", "CEJ-DAZHA")
START_SECONDS = 60


def reading(station: str, parameter: str, hour: int) -> dict[str, object]:
    return {
        "time": START + timedelta(hours=hour),
        "station": station,
        "parameter": parameter,
        "value": round(0.40 + hour / 1000, 3),
        "flag": "M" if hour % 50 == 7 else "N",  # a maintenance hour now and then: not valid for the KPIs
        "source": "hj212",
    }


def store_keys_and_readings(connection: Connection) -> None:
    """A Xiaoshan and a Fuyang key; HOURS hourly NH3-N readings at 杨汛桥 (both stations), a few elsewhere."""
    keys.create_key(connection, "xiaoshan-bureau", "xiaoshan", XIAOSHAN_KEY)
    keys.create_key(connection, "fuyang-bureau", "fuyang", FUYANG_KEY)
    rows = [reading(station, "nh3n", hour) for station in IN_SCOPE for hour in range(HOURS)]
    rows += [reading("AIR-YUECHENG", "pm25", hour) for hour in range(3)]
    rows += [reading("CEJ-DAZHA", "nh3n", hour) for hour in range(3)]
    connection.execute(insert(readings), rows)


def _healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz").status_code == HTTPStatus.OK
    except httpx.TransportError:
        return False


@contextmanager
def sensorthings_process(database_url: str) -> Iterator[str]:
    """``envmon sensorthings`` running in its own process on a free port; its base URL."""
    port = free_port()
    env = {
        **os.environ,
        "ENVMON_DATABASE_URL": database_url,
        "ENVMON_SENSORTHINGS_HTTP_PORT": str(port),
        "ENVMON_LOG_LEVEL": "WARNING",
    }
    process = subprocess.Popen([sys.executable, "-m", "services.cli", "sensorthings"], env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_SECONDS
        while not _healthy(url):
            assert process.poll() is None, f"envmon sensorthings exited with status {process.returncode}"
            assert time.monotonic() < deadline, "envmon sensorthings did not start"
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
