"""The ``integration`` marker is declared, never inferred: a test that uses a fixture starting a real component
(directly or through another fixture) and is not marked fails the collection, naming the test."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

# The fixtures that start a real process (PostgreSQL, Mosquitto, Alertmanager); every fixture built on them
# (engine, db, the services' databases and apps, servers for Chromium …) reaches them through its closure.
# A new fixture that starts a process of its own joins this set.
REAL_COMPONENT_FIXTURES = frozenset({"postgres", "broker", "alertmanager"})


def unmarked_integration_tests(items: Sequence[pytest.Item]) -> list[str]:
    """The node ids of tests that start a real component without being marked ``integration``."""
    return [
        item.nodeid
        for item in items
        if REAL_COMPONENT_FIXTURES & set(getattr(item, "fixturenames", ()))
        and item.get_closest_marker("integration") is None
    ]


def require_integration_marker(items: Sequence[pytest.Item]) -> None:
    unmarked = unmarked_integration_tests(items)
    if unmarked:
        raise pytest.UsageError(
            "these tests start real components (" + ", ".join(sorted(REAL_COMPONENT_FIXTURES)) + ") but are not "
            "marked integration; add `pytestmark = pytest.mark.integration` to the module or "
            "`@pytest.mark.integration` to the test:\n  " + "\n  ".join(unmarked)
        )
