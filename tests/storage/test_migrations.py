"""Data migrations on the migrated session database (real TimescaleDB)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from alembic import command
from sqlalchemy import Engine, insert, text

from devstack.postgres import PostgresCluster
from services.alerts.tables import alert_outbox, alert_states, water_period
from services.storage.engine import alembic_config

pytestmark = pytest.mark.integration

BEFORE_CLASS_BASIS = "0018_sensorthings_keys"
BEFORE_FORGETTING_PENDING = "0021_water_period_class_basis"
BEFORE_STATION_HOURS = "0023_exact_mean"


def test_water_class_basis_queues_every_stored_period_for_recomputation(postgres: PostgresCluster, db: Engine) -> None:
    row = {"as_of": date(2026, 6, 30), "days": 30, "water_class": 4, "label": "Ⅳ", "means": {"tp": "0.2004"}}
    periods = [("CEJ-SHANGPU", "2026-06"), ("CEJ-SHANGPU", "2026-07"), ("CEJ-SHANGPU", "2026"), ("PYJ-ANHUA", "2025")]
    with db.begin() as connection:
        connection.execute(text("truncate water_period"))
        connection.execute(insert(water_period), [{**row, "section": s, "period": p} for s, p in periods])
    config = alembic_config(postgres.url)
    try:
        command.downgrade(config, BEFORE_CLASS_BASIS)
        with db.connect() as connection:
            after_downgrade = set(connection.execute(text("select station, day from recompute_queue")).all())
        with db.begin() as connection:
            connection.execute(text("truncate recompute_queue"))
    finally:
        command.upgrade(config, "head")
    with db.begin() as connection:
        queued = set(connection.execute(text("select station, day from recompute_queue")).all())
        connection.execute(text("truncate water_period, recompute_queue"))
    expected = {
        ("CEJ-SHANGPU", date(2026, 6, 1)),
        ("CEJ-SHANGPU", date(2026, 7, 1)),
        ("CEJ-SHANGPU", date(2026, 1, 1)),
        ("PYJ-ANHUA", date(2025, 1, 1)),
    }
    assert queued == expected
    assert after_downgrade == expected


def test_alerts_resolved_without_ever_firing_are_forgotten_and_sent_ones_kept(
    postgres: PostgresCluster, db: Engine
) -> None:
    at = datetime(2026, 12, 3, 2, tzinfo=UTC)
    row = {"rule": "station_silent", "period": "current", "severity": "warning", "state": "resolved"}
    states = {
        "only-pending": {"subject": "CEJ-DAZHA", "pending_since": at, "resolved_at": at},
        "fired": {"subject": "CEJ-SANJIE", "pending_since": at, "fired_at": at, "resolved_at": at},
        # an earlier version overwrote fired_at when a resolved alert went pending again: its sends remain
        "sent-then-pending": {"subject": "PYJ-ANHUA", "pending_since": at, "resolved_at": at},
    }
    config = alembic_config(postgres.url)
    command.downgrade(config, BEFORE_FORGETTING_PENDING)
    try:
        with db.begin() as connection:
            connection.execute(
                insert(alert_states),
                [
                    {
                        **row,
                        "pending_since": None,
                        "fired_at": None,
                        **state,
                        "fingerprint": key,
                        "labels": {},
                        "annotations": {},
                    }
                    for key, state in states.items()
                ],
            )
            connection.execute(insert(alert_outbox), [{"fingerprint": "sent-then-pending", "payload": {}}])
    finally:
        command.upgrade(config, "head")
    with db.begin() as connection:
        # other tests of the session may have left alerts of their own: judge this test's rows only
        kept = set(
            connection.execute(
                text("select fingerprint from alert_states where fingerprint = any(:keys)"), {"keys": list(states)}
            ).scalars()
        )
        connection.execute(text("delete from alert_states where fingerprint = any(:keys)"), {"keys": list(states)})
    assert kept == {"fired", "sent-then-pending"}


def test_station_hours_are_filled_from_the_stored_1_hour_values(postgres: PostgresCluster, db: Engine) -> None:
    hour = datetime(2026, 6, 10, 1, tzinfo=UTC)
    rows = [("pm25", "35.5", True), ("no2", "40", False), ("flow", "3", True)]  # flow: not an air pollutant
    with db.begin() as connection:
        connection.execute(text("truncate hourly_values"))  # what other tests derived into the session database
    config = alembic_config(postgres.url)
    try:
        command.downgrade(config, BEFORE_STATION_HOURS)
        with db.begin() as connection:
            connection.execute(
                text(
                    "insert into hourly_values (station, parameter, hour, value, samples, minutes, valid) "
                    "values ('AIR-KEQIAO', :p, :h, :v, 4, case when :valid then 60 else 30 end, :valid)"
                ),
                [{"p": p, "h": hour, "v": Decimal(v), "valid": valid} for p, v, valid in rows],
            )
    finally:
        command.upgrade(config, "head")
    with db.begin() as connection:
        pivoted = connection.execute(text("select station, hour, pm25, no2, o3 from air_station_hours")).all()
        connection.execute(text("truncate hourly_values, air_station_hours"))
    assert [tuple(row) for row in pivoted] == [("AIR-KEQIAO", hour, Decimal("35.5"), None, None)]
