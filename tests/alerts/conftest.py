"""Fixtures for the alerts tests: the session database with the service's tables emptied, a private Alertmanager."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from devstack.alertmanager import AlertmanagerProcess
from devstack.processes import private_directory
from tests.support.alerts import empty_alerts_tables


@pytest.fixture
def alerts_db(db: Engine) -> Engine:
    """The session database with readings and every table of the alerts service emptied."""
    empty_alerts_tables(db)
    return db


@pytest.fixture
def alertmanager() -> Iterator[AlertmanagerProcess]:
    """A fresh Alertmanager per test, so no test sees another's alerts."""
    process = AlertmanagerProcess(private_directory("alertmanager"))
    process.start()
    yield process
    process.destroy()
