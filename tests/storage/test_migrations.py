"""Data migrations on the migrated session database (real TimescaleDB)."""

from __future__ import annotations

from datetime import date

import pytest
from alembic import command
from sqlalchemy import Engine, insert, text

from devstack.postgres import PostgresCluster
from services.alerts.tables import water_period
from services.storage.engine import alembic_config

pytestmark = pytest.mark.integration

BEFORE_CLASS_BASIS = "0018_sensorthings_keys"


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
