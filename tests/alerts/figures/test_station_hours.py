"""Each air station's valid 1-hour values pivoted per station-hour, kept up to date with the 1-hour values."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import Connection, Engine, text

from services.alerts.context import Computation
from services.alerts.figures.station_hours import refresh_station_hours
from tests.support.alerts import job, local

pytestmark = pytest.mark.integration

DAY = date(2026, 6, 10)
NOW = datetime(2026, 6, 11, 2, 0, tzinfo=UTC)
STATION = "AIR-KEQIAO"
NINE, TEN = local(DAY, 9), local(DAY, 10)


def _store(connection: Connection, rows: list[tuple[str, datetime, str, str, int]]) -> None:
    """Stored 1-hour values: station, hour, pollutant, value, minutes covered (valid from 45)."""
    connection.execute(
        text(
            "insert into hourly_values (station, parameter, hour, value, samples, minutes, valid) "
            "values (:s, :p, :h, :v, 1, :m, :m >= 45) "
            "on conflict (station, parameter, hour) do update set value = excluded.value"
        ),
        [{"s": s, "h": h, "p": p, "v": Decimal(v), "m": m} for s, h, p, v, m in rows],
    )


def _pivoted(connection: Connection) -> dict[tuple[str, datetime], tuple[Decimal | None, ...]]:
    rows = connection.execute(text("select station, hour, pm25, no2, o3 from air_station_hours"))
    return {(station, hour): tuple(values) for station, hour, *values in rows}


def _refresh(computation: Computation) -> int:
    return refresh_station_hours(computation, DAY, DAY)


def test_a_station_hour_holds_its_valid_values_and_follows_changes(alerts_db: Engine) -> None:
    with alerts_db.connect() as connection:  # rolled back
        computation = job(connection, NOW)
        _store(
            connection,
            [
                (STATION, NINE, "pm25", "35.5", 60),
                (STATION, NINE, "no2", "40", 30),  # under 45 minutes: not valid, NULL
                (STATION, TEN, "o3", "100", 15),  # only an invalid value: the hour still has a row
            ],
        )
        assert _refresh(computation) == 2
        assert _pivoted(connection) == {
            (STATION, NINE): (Decimal("35.5"), None, None),
            (STATION, TEN): (None, None, None),
        }
        assert _refresh(computation) == 0  # nothing changed, nothing rewritten

        _store(connection, [(STATION, NINE, "pm25", "36", 60)])  # a corrected 1-hour value
        connection.execute(text("delete from hourly_values where hour = :h"), {"h": TEN})  # readings withdrawn
        assert _refresh(computation) == 2
        assert _pivoted(connection) == {(STATION, NINE): (Decimal(36), None, None)}


def test_a_refresh_leaves_other_days_alone(alerts_db: Engine) -> None:
    other_day = local(date(2026, 6, 9), 23)
    with alerts_db.connect() as connection:  # rolled back
        computation = job(connection, NOW)
        _store(connection, [(STATION, other_day, "pm25", "20", 60)])
        refresh_station_hours(computation, date(2026, 6, 9), DAY)
        connection.execute(text("delete from hourly_values"))
        assert _refresh(computation) == 0
        assert _pivoted(connection) == {(STATION, other_day): (Decimal(20), None, None)}
