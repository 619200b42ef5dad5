"""Fixtures for the SensorThings tests: the shipped agreements and a partner key on the session database,
with readings at the boundary sections and elsewhere."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http import HTTPStatus

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, insert, text

from devstack.postgres import PostgresCluster
from devstack.processes import free_port
from services.compensation.main import load_agreements
from services.compensation.settings import CompensationSettings
from services.sensorthings import keys
from services.sensorthings.api import create_app
from services.sensorthings.settings import SensorThingsSettings
from services.storage.schema import readings

XIAOSHAN_KEY = "xiaoshan-test-key-0123456789abcdefghijklmnop"
FUYANG_KEY = "fuyang-test-key-0123456789abcdefghijklmnopqr"
START = datetime(2026, 11, 1, tzinfo=UTC)  # 2026-11-01 08:00 Beijing time
HOURS = 250
IN_SCOPE = ("XXJ-YANGXUN-XS", "XXJ-YANGXUN")
OUT_OF_SCOPE = ("AIR-YUECHENG", "CEJ-DAZHA")
START_SECONDS = 60


def _reading(station: str, parameter: str, hour: int) -> dict[str, object]:
    return {
        "time": START + timedelta(hours=hour),
        "station": station,
        "parameter": parameter,
        "value": round(0.40 + hour / 1000, 3),
        "flag": "M" if hour % 50 == 7 else "N",  # a maintenance hour now and then: not valid for the KPIs
        "source": "hj212",
    }


@pytest.fixture
def sensorthings_db(db: Engine) -> Engine:
    with db.begin() as connection:
        connection.execute(text("truncate sensorthings_api_keys"))
        keys.create_key(connection, "xiaoshan-bureau", "xiaoshan", XIAOSHAN_KEY)
        keys.create_key(connection, "fuyang-bureau", "fuyang", FUYANG_KEY)
        rows = [_reading(station, "nh3n", hour) for station in IN_SCOPE for hour in range(HOURS)]
        rows += [_reading("AIR-YUECHENG", "pm25", hour) for hour in range(3)]
        rows += [_reading("CEJ-DAZHA", "nh3n", hour) for hour in range(3)]
        connection.execute(insert(readings), rows)
    load_agreements(db, CompensationSettings())
    return db


@pytest.fixture
def client(sensorthings_db: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(sensorthings_db, SensorThingsSettings())) as test_client:
        test_client.headers["X-API-Key"] = XIAOSHAN_KEY
        yield test_client


@pytest.fixture
def server(sensorthings_db: Engine, postgres: PostgresCluster) -> Iterator[str]:
    """``envmon sensorthings`` running in its own process on a free port, on the session database."""
    port = free_port()
    env = {
        **os.environ,
        "ENVMON_DATABASE_URL": postgres.url,
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


def _healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz").status_code == HTTPStatus.OK
    except httpx.TransportError:
        return False
