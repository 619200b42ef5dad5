"""Fixtures for the SensorThings tests: the shipped agreements, partner keys and readings on the session
database (tests/support/sensorthings.py), the app in-process and ``envmon sensorthings`` in its own process."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from devstack.postgres import PostgresCluster
from services.compensation.main import load_agreements
from services.compensation.settings import CompensationSettings
from services.sensorthings.api import create_app
from services.sensorthings.settings import SensorThingsSettings
from tests.support.sensorthings import XIAOSHAN_KEY, sensorthings_process, store_keys_and_readings


@pytest.fixture
def sensorthings_db(db: Engine) -> Engine:
    with db.begin() as connection:
        connection.execute(text("truncate sensorthings_api_keys"))
        store_keys_and_readings(connection)
    load_agreements(db, CompensationSettings())
    return db


@pytest.fixture
def client(sensorthings_db: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(sensorthings_db, SensorThingsSettings())) as test_client:
        test_client.headers["X-API-Key"] = XIAOSHAN_KEY
        yield test_client


@pytest.fixture
def server(sensorthings_db: Engine, postgres: PostgresCluster) -> Iterator[str]:
    with sensorthings_process(postgres.url) as url:
        yield url
