"""A gateway process for the module on the session database and broker, an MQTT tap, and a fleet of
extra loggers (gateways, stations, MNs) seeded for the concurrency tests and removed afterwards."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from devstack.hj212_fleet import remove_fleet, seed_fleet
from devstack.mosquitto import MosquittoBroker
from devstack.postgres import PostgresCluster
from simulators.hj212_tcp import LoggerIdentity
from tests.support.hj212_gateway import (
    GATEWAY_ACCOUNT,
    TAP_ACCOUNT,
    GatewayProcess,
    MqttTap,
    gateway_environment,
    running_gateway,
)
from tests.support.ingest import INGEST_ACCOUNT, ingest_environment, subprocess_ingest

FLEET_SIZE = 500


@pytest.fixture(scope="module")
def fleet(engine: Engine) -> Iterator[list[LoggerIdentity]]:
    """FLEET_SIZE extra loggers with a gateway and a water station each, removed after the module."""
    with engine.begin() as connection:
        loggers = seed_fleet(connection, FLEET_SIZE)
    yield [LoggerIdentity(mn=f.mn, pw=f.pw) for f in loggers]
    with engine.begin() as connection:
        remove_fleet(connection)


@pytest.fixture(scope="module")
def ingest(postgres: PostgresCluster, broker: MosquittoBroker, mqtt_accounts: dict[str, str]) -> Iterator[None]:
    """The real ingest service behind the gateway, in a share group of its own, its session gone with it."""
    env = ingest_environment(
        postgres.url,
        broker,
        mqtt_accounts[INGEST_ACCOUNT],
        client_id="ingest-hj212-gateway",
        subscription="$share/hj212-gateway-tests/envmon/v1/#",
    )
    env["ENVMON_INGEST_SESSION_EXPIRY_SECONDS"] = "0"
    with subprocess_ingest(env):
        yield


@pytest.fixture(scope="module")
def gateway(
    postgres: PostgresCluster,
    broker: MosquittoBroker,
    mqtt_accounts: dict[str, str],
    fleet: list[LoggerIdentity],
    ingest: None,
) -> Iterator[GatewayProcess]:
    env = gateway_environment(
        postgres.url, broker.url(GATEWAY_ACCOUNT, mqtt_accounts[GATEWAY_ACCOUNT]), ENVMON_HJ212_BACKFILL_DAYS="1"
    )
    with running_gateway(env) as process:
        yield process


@pytest.fixture
def tap(broker: MosquittoBroker, mqtt_accounts: dict[str, str]) -> Iterator[MqttTap]:
    listener = MqttTap(broker.url(TAP_ACCOUNT, mqtt_accounts[TAP_ACCOUNT]))
    yield listener
    listener.close()
