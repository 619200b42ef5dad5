"""The staged 1-hour values of every air subject: a station's as stored (NULL when under 45 minutes), the city's
the mean of its stations' valid values, and what each subject measures on a day."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from fractions import Fraction

import pytest
from sqlalchemy import Connection, Engine, text

from services.alerts.context import Computation
from services.alerts.figures.station_hours import refresh_station_hours
from services.alerts.figures.subject_hours import measured_by_subject, stage_subject_hours
from services.standards import validity
from tests.support.alerts import job, local

pytestmark = pytest.mark.integration

DAY = date(2026, 6, 10)
NOW = datetime(2026, 6, 11, 2, 0, tzinfo=UTC)
HOUR = local(DAY, 9)


def _store_hours(computation: Computation, rows: list[tuple[str, str, Decimal, int]]) -> None:
    """Stored 1-hour values (value, minutes covered), pivoted per station-hour as the derivation does."""
    computation.connection.execute(
        text(
            "insert into hourly_values (station, parameter, hour, value, samples, minutes, valid) "
            "values (:s, :p, :h, :v, 1, :m, :m >= 45)"
        ),
        [{"s": s, "p": p, "h": HOUR, "v": v, "m": m} for s, p, v, m in rows],
    )
    refresh_station_hours(computation, DAY, DAY)


def _city_value(connection: Connection, city: str, parameter: str) -> Decimal | None:
    value: Decimal | None = connection.execute(
        text(f"select {parameter} from subject_hours where subject = :c and hour = :h"), {"c": city, "h": HOUR}
    ).scalar_one()
    return value


@pytest.mark.parametrize(("min_stations", "pm25"), [(1, Decimal(20)), (2, Decimal(20)), (3, None)])
def test_a_city_hour_needs_its_minimum_of_stations(alerts_db: Engine, min_stations: int, pm25: Decimal | None) -> None:
    with alerts_db.connect() as connection:  # rolled back
        computation = replace(job(connection, NOW), city_min_stations=min_stations)
        first, second, third, *_ = computation.registry.city_stations
        _store_hours(
            computation,
            [(first, "pm25", Decimal(10), 60), (second, "pm25", Decimal(30), 60), (third, "pm25", Decimal(99), 30)],
        )
        stage_subject_hours(computation, DAY, DAY, measured_by_subject(computation))
        assert _city_value(connection, computation.registry.city, "pm25") == pm25


def test_city_hour_is_the_mean_of_its_stations_valid_values(alerts_db: Engine) -> None:
    hour = HOUR
    with alerts_db.connect() as connection:  # rolled back
        computation = job(connection, NOW)
        first, second, *_ = computation.registry.city_stations
        _store_hours(
            computation,
            [
                (first, "no2", Decimal(1), 60),
                (second, "no2", Decimal(2), 60),
                (first, "pm25", Decimal(7), 60),
                (second, "pm25", Decimal(500), 15),  # under 45 minutes
            ],
        )
        stage_subject_hours(computation, DAY, DAY, measured_by_subject(computation))
        rows = {
            (subject, parameter): value
            for subject, pm25, no2 in connection.execute(
                text("select subject, pm25, no2 from subject_hours where hour = :h"), {"h": hour}
            )
            for parameter, value in (("pm25", pm25), ("no2", no2))
        }
        measured = connection.execute(
            text("select pollutants from subject_measured where subject = :s and day = :d"),
            {"s": computation.registry.city, "d": DAY},
        ).scalar_one()
    city = computation.registry.city
    assert rows[(second, "pm25")] is None
    assert rows[(city, "pm25")] == 7  # the invalid hour of the second station does not enter
    assert rows[(city, "no2")] == validity._as_decimal(Fraction(3, 2)) == Decimal("1.5")
    assert "no2" in measured and "pm25" in measured
