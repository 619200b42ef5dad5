"""The staged 1-hour values of every air subject: a station's as stored (NULL when under 45 minutes), the city's
the mean of its stations' valid values, and what each subject measures on a day."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from fractions import Fraction

import pytest
from sqlalchemy import Engine, text

from services.alerts.figures.subject_hours import stage_subject_hours
from services.standards import validity
from tests.support.alerts import job, local

pytestmark = pytest.mark.integration

DAY = date(2026, 6, 10)
NOW = datetime(2026, 6, 11, 2, 0, tzinfo=UTC)


def test_city_hour_is_the_mean_of_its_stations_valid_values(alerts_db: Engine) -> None:
    hour = local(DAY, 9)
    with alerts_db.begin() as connection:
        computation = job(connection, NOW)
        first, second, *_ = computation.registry.city_stations
        connection.execute(
            text(
                "insert into hourly_values (station, parameter, hour, value, samples, minutes, valid) "
                "values (:s, :p, :h, :v, 1, :m, :m >= 45)"
            ),
            [
                {"s": first, "p": "no2", "h": hour, "v": Decimal(1), "m": 60},
                {"s": second, "p": "no2", "h": hour, "v": Decimal(2), "m": 60},
                {"s": first, "p": "pm25", "h": hour, "v": Decimal(7), "m": 60},
                {"s": second, "p": "pm25", "h": hour, "v": Decimal(500), "m": 15},  # under 45 minutes
            ],
        )
        stage_subject_hours(computation, DAY, DAY)
        rows = {
            (subject, parameter): value
            for subject, parameter, value in connection.execute(
                text("select subject, parameter, value from subject_hours where hour = :h"), {"h": hour}
            )
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
