"""Session fixtures: a private TimescaleDB cluster and a private Mosquitto, both on free ports.

Nothing here touches the services a machine may run on the standard ports. Tests that use
these fixtures must be marked ``integration`` (the collection fails otherwise: tests/support/integration.py);
the rest are fast unit tests that need no system binaries.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text

from devstack.mosquitto import MosquittoBroker, start_registry_broker
from devstack.postgres import PostgresCluster, start_platform_database
from devstack.processes import private_directory
from services.storage.engine import make_engine
from services.storage.seed import read_registry_yaml
from tests.support.integration import require_integration_marker

pytest_plugins = ["pytester"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    require_integration_marker(items)


@pytest.fixture(scope="session")
def mqtt_accounts() -> dict[str, str]:
    """Development passwords of every broker account in the seed registry, by account id."""
    _, gateway_registry = read_registry_yaml()
    return {
        entry.id: entry.dev_password
        for entry in [*gateway_registry.gateways, *gateway_registry.services]
        if entry.dev_password
    }


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresCluster]:
    cluster = start_platform_database(private_directory("postgres"))
    yield cluster
    cluster.destroy()


@pytest.fixture(scope="session")
def engine(postgres: PostgresCluster) -> Iterator[Engine]:
    engine = make_engine(postgres.url, pool_size=10)
    yield engine
    engine.dispose()


@pytest.fixture
def db(engine: Engine) -> Engine:
    """The session database with readings, rejects and the recompute queue emptied."""
    with engine.begin() as connection:
        connection.execute(text("truncate readings, rejected_messages, recompute_queue"))
    return engine


@pytest.fixture(scope="session")
def broker(engine: Engine) -> Iterator[MosquittoBroker]:
    broker = start_registry_broker(private_directory("mosquitto"), engine)
    yield broker
    broker.destroy()
