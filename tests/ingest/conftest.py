"""Fixtures for the ingest tests: settings for one in-process replica on the session database and broker."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import Engine

from devstack.mosquitto import MosquittoBroker
from devstack.postgres import PostgresCluster
from services.ingest.settings import IngestSettings
from tests.support.ingest import INGEST_ACCOUNT, SettingsFactory, ingest_environment, settings_from

TEST_SESSION_EXPIRY_SECONDS = 120


@pytest.fixture
def ingest_settings(
    postgres: PostgresCluster,
    broker: MosquittoBroker,
    db: Engine,
    mqtt_accounts: dict[str, str],
    request: pytest.FixtureRequest,
) -> SettingsFactory:
    """Settings for a replica with a client id unique to the test (so no session leaks between tests)."""

    name = re.sub(r"[^A-Za-z0-9_-]", "-", request.node.name)[:40]

    def make(suffix: str = "", **overrides: object) -> IngestSettings:
        # A share group of its own, so sessions left by earlier tests never take this test's messages.
        env = ingest_environment(
            postgres.url,
            broker,
            mqtt_accounts[INGEST_ACCOUNT],
            client_id=f"ingest-{name}{suffix}",
            subscription=f"$share/{name}/envmon/v1/#",
        )
        return settings_from(env, ingest_session_expiry_seconds=TEST_SESSION_EXPIRY_SECONDS, **overrides)

    return make
