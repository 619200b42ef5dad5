"""The 1-hour values computed in SQL equal GB 3095's rule as ``services.standards.validity.hourly_mean`` states
it, on the same stored samples; and the daily AQI built on them, with pollutants outside a programme as "/".

The under-sampled day (issue 11): AIR-ZHUJI reports NO2 every 15 minutes, hours 04–23 fully (four samples of
100 µg/m³ each) and hours 00–03 with one sample of 400 each. Each of those hours covers 15 minutes (< 45), so
the daily NO2 is the mean of the 20 valid hours, 100, and its 2026 IAQI ⌈100 + 50·(100 − 80)/(180 − 80)⌉ = 110
(the other pollutants are clean). Counting a lone sample as a whole hour gave (4·400 + 20·100)/24 = 150, IAQI
⌈100 + 50·70/100⌉ = 135.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, text

from services.alerts.figures.hourly import refresh_hourly_values
from services.alerts.figures.recompute import recompute_days
from services.standards import validity
from services.standards.local_time import BEIJING_TIME
from tests.support.air import under_sampled_no2_day
from tests.support.alerts import air_day, insert, job, local
from tests.support.programmes import programme_interval, set_interval

pytestmark = pytest.mark.integration

DAY = date(2026, 6, 10)
NOW = datetime(2026, 6, 11, 2, 0, tzinfo=UTC)  # 10:00 the next day, Beijing time
STATION, POLLUTANT = "AIR-ZHUJI", "no2"
# Intervals dividing a day, from sub-minute-free 1 minute to 2 hours (an hour then has one reading at most).
INTERVALS = [timedelta(minutes=m) for m in (1, 2, 5, 10, 15, 20, 30, 60, 120)]
FIRST_HOUR = local(DAY, 10)
MICROSECONDS = 1_000_000
SPREAD = 4 * 3600 * MICROSECONDS  # samples fall in 10:00–14:00 of DAY


@st.composite
def series(draw: st.DrawFn) -> tuple[timedelta, list[tuple[datetime, float, str]]]:
    """A programme interval and samples: on its grid or anywhere (to the microsecond), with gaps, repeats of a
    timestamp (the store keeps the first) and flags other than N."""
    interval = draw(st.sampled_from(INTERVALS))
    step = int(interval.total_seconds()) * MICROSECONDS
    on_grid = st.integers(0, SPREAD // step - 1).map(lambda k: k * step)
    anywhere = st.integers(0, SPREAD - 1)
    offsets = draw(st.lists(st.one_of(on_grid, anywhere), min_size=1, max_size=30))
    values = st.one_of(
        st.floats(0, 1e6, allow_nan=False, allow_infinity=False),
        st.integers(0, 500).map(float),
        st.decimals(0, 1000, places=1).map(float),
    )
    samples = draw(
        st.lists(st.tuples(st.sampled_from(offsets), values, st.sampled_from("NNNNNMDT")), min_size=1, max_size=60)
    )
    return interval, [(FIRST_HOUR + timedelta(microseconds=o), v, flag) for o, v, flag in samples]


def _hour_of(moment: datetime) -> datetime:
    return moment.astimezone(BEIJING_TIME).replace(minute=0, second=0, microsecond=0)


def _expected(stored: list[tuple[datetime, float, str]], interval: timedelta) -> dict[datetime, tuple[Any, ...]]:
    valid = [(t, v) for t, v, flag in stored if flag == "N"]
    counts = Counter(_hour_of(t) for t, _ in valid)
    result = {}
    for hour, samples in counts.items():
        statistic = validity.hourly_mean(valid, hour_start=hour, interval=interval)
        result[hour] = (statistic.value, samples, statistic.count, statistic.valid)
    return result


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(generated=series())
def test_sql_hourly_values_equal_the_standard_on_the_same_samples(
    alerts_db: Engine, generated: tuple[timedelta, list[tuple[datetime, float, str]]]
) -> None:
    interval, samples = generated
    with alerts_db.connect() as connection, connection.begin() as transaction:
        set_interval(connection, STATION, POLLUTANT, interval)
        connection.execute(
            text(
                "insert into readings (time, station, parameter, value, flag, source) "
                "values (:time, :station, :parameter, :value, :flag, 'mqtt-json') on conflict do nothing"
            ),
            [{"time": t, "station": STATION, "parameter": POLLUTANT, "value": v, "flag": f} for t, v, f in samples],
        )
        refresh_hourly_values(job(connection, NOW), DAY, DAY)
        series_of_day = {"s": STATION, "p": POLLUTANT, "start": local(DAY), "end": local(DAY + timedelta(days=1))}
        stored = connection.execute(
            text(
                "select time, value, flag from readings "
                "where station = :s and parameter = :p and time >= :start and time < :end"
            ),
            series_of_day,
        ).all()
        computed = {
            hour: (value, samples_, minutes, valid)
            for hour, value, samples_, minutes, valid in connection.execute(
                text(
                    "select hour, value, samples, minutes, valid from hourly_values "
                    "where station = :s and parameter = :p and hour >= :start and hour < :end"
                ),
                series_of_day,
            )
        }
        transaction.rollback()
    assert computed == _expected([tuple(row) for row in stored], interval)


def test_an_hour_with_one_15_minute_sample_is_not_a_valid_hour(alerts_db: Engine) -> None:
    with programme_interval(alerts_db, STATION, POLLUTANT, timedelta(minutes=15)), alerts_db.begin() as connection:
        insert(connection, under_sampled_no2_day(STATION, DAY))
        recompute_days(job(connection, NOW), [DAY])
        no2, aqi_value, primary = connection.execute(
            text("select no2, aqi, primary_pollutants from air_daily where subject = :s and day = :d"),
            {"s": STATION, "d": DAY},
        ).one()
    assert (no2, aqi_value, primary) == (Decimal(100), 110, ["no2"])


def test_a_pollutant_outside_the_programme_does_not_make_the_aqi_na(alerts_db: Engine) -> None:
    # AIR-XINCHANG has no CO analyser in its programme ("/"): a clean day without CO still has an AQI.
    without_co = [r for r in air_day(DAY, stations=("AIR-XINCHANG", "AIR-ZHUJI")) if r["parameter"] != "co"]
    with alerts_db.begin() as connection:
        insert(connection, without_co)
        recompute_days(job(connection, NOW), [DAY])
        rows: dict[str, int | None] = dict(
            connection.execute(
                text("select subject, aqi from air_daily where subject in ('AIR-XINCHANG', 'AIR-ZHUJI') and day = :d"),
                {"d": DAY},
            ).all()
        )
        missing = connection.execute(
            text("select missing from air_daily where subject = 'AIR-ZHUJI' and day = :d"), {"d": DAY}
        ).scalar_one()
    # PM2.5 30 → ⌈50·30/35⌉ = 43 is the largest IAQI; AIR-ZHUJI does measure CO, so without it its AQI ≤ 100 is NA.
    assert rows == {"AIR-XINCHANG": 43, "AIR-ZHUJI": None}
    assert missing == ["co"]


def test_a_refresh_rewrites_only_the_hours_that_changed(alerts_db: Engine) -> None:
    with alerts_db.connect() as connection, connection.begin() as transaction:
        insert(connection, air_day(DAY, stations=(STATION,)))
        computation = job(connection, NOW)
        refresh_hourly_values(computation, DAY, DAY)
        unchanged = refresh_hourly_values(computation, DAY, DAY)
        connection.execute(
            text("delete from readings where station = :s and parameter = 'no2' and time = :t"),
            {"s": STATION, "t": local(DAY, 5)},
        )
        connection.execute(
            text("update readings set value = 40 where station = :s and parameter = 'pm25' and time = :t"),
            {"s": STATION, "t": local(DAY, 6)},
        )
        changed = refresh_hourly_values(computation, DAY, DAY)
        stored = {
            (parameter, hour): value
            for parameter, hour, value in connection.execute(
                text("select parameter, hour, value from hourly_values where station = :s and hour in (:h5, :h6)"),
                {"s": STATION, "h5": local(DAY, 5), "h6": local(DAY, 6)},
            )
        }
        transaction.rollback()
    assert (unchanged, changed) == (0, 2)
    assert ("no2", local(DAY, 5)) not in stored
    assert (stored[("pm25", local(DAY, 6))], stored[("no2", local(DAY, 6))]) == (Decimal(40), Decimal(10))
