"""The migrated schema: hypertable, natural-key dedup, and agreement with schema.py."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, inspect, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError

import services.alerts.tables  # registers the alerts tables on the metadata
import services.compensation.tables
import services.sensorthings.tables  # noqa: F401 - registers the compensation and SensorThings tables
from services.storage.engine import has_community_features, timescaledb_license
from services.storage.schema import SOURCE_TIERS, Source, metadata, readings

pytestmark = pytest.mark.integration

READING = {
    "time": datetime(2026, 11, 27, 1, 0, tzinfo=UTC),
    "station": "PYJ-JINHUA",
    "parameter": "nh3n",
    "value": 0.412,
    "flag": "N",
    "source": "mqtt-json",
}


def test_readings_is_a_hypertable(engine: Engine) -> None:
    with engine.connect() as connection:
        names = (
            connection.execute(text("select hypertable_name from timescaledb_information.hypertables")).scalars().all()
        )
    assert "readings" in names


def test_the_same_reading_twice_is_stored_once(db: Engine) -> None:
    def store(reading: dict[str, object]) -> int:
        statement = insert(readings).values(reading).on_conflict_do_nothing().returning(readings.c.time)
        return len(connection.execute(statement).all())

    with db.begin() as connection:
        first, second = store(READING), store({**READING, "value": 9.9})
        rows = connection.execute(select(readings.c.value)).scalars().all()
    assert (first, second) == (1, 0)
    assert rows == [0.412]


def test_a_plain_duplicate_insert_violates_the_natural_key(db: Engine) -> None:
    with db.begin() as connection:
        connection.execute(insert(readings), [READING])
    with pytest.raises(IntegrityError), db.begin() as connection:
        connection.execute(insert(readings), [READING])


def test_schema_module_matches_the_migrated_database(engine: Engine) -> None:
    inspector = inspect(engine)
    for table in metadata.sorted_tables:
        migrated = {column["name"] for column in inspector.get_columns(table.name)}
        assert migrated == {column.name for column in table.columns}, table.name


def test_timescaledb_license_decides_community_features(engine: Engine) -> None:
    with engine.connect() as connection:
        license_ = timescaledb_license(connection)
        jobs = connection.execute(
            text("select count(*) from timescaledb_information.jobs where proc_name = 'policy_compression'")
        ).scalar_one()
        assert license_ in {"apache", "timescale"}
        # Compression policies are created only where the Community edition provides them.
        assert (jobs == 1) == has_community_features(connection)


def test_every_reading_source_has_a_statistics_tier() -> None:
    """The water figures map readings.source to a tier in SQL; a source without one would stop the recompute."""
    assert set(SOURCE_TIERS) == set(Source)
