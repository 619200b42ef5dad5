"""The daily air values computed in SQL (``air_daily_values``) equal GB 3095's and HJ 663's rules as
``services.standards.validity`` states them, on the same 1-hour values.

The property test draws a few subjects over one to three local days, each pollutant's hours present, missing as a
row without a value, or absent; the table-driven test checks hand-computed days.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, Engine

from services.alerts.figures.air_daily_values import DAILY_MEAN_ITEMS, OZONE, DailyValues, daily_values
from services.alerts.tables import AIR_DAILY_ITEMS, AIR_POLLUTANTS
from services.standards import validity
from tests.support.alerts import CITY, fill_subject_hours, job, local

pytestmark = pytest.mark.integration

FIRST_DAY = date(2026, 6, 10)
NOW = datetime(2026, 6, 14, 2, 0, tzinfo=UTC)
SUBJECTS = ("AIR-KEQIAO", "AIR-ZHUJI", CITY)
HOURS = range(validity.HOURS_PER_DAY)
LIMIT = validity.MDA8_LIMIT_CLASS_2
# One unit past the places a non-terminating mean keeps: LIMIT + k·TINY averaged over n hours rounds to LIMIT
# (not above it) when k/n < 5 or = 5 (half-even), and above it when k/n > 5.
TINY = Decimal(1).scaleb(-validity.NON_TERMINATING_PLACES - 1)

# Hour index → 1-hour value, None for a row without a valid value; an hour that is not a key has no row.
Series = dict[int, Decimal | None]
Hours = dict[tuple[str, date, str], Series]

# Kinds of 1-hour values; a series draws a few values of one kind.
VALUES = (
    st.integers(0, 500).map(Decimal),
    st.decimals(0, 1000, places=1),
    # Sums of these over 8 hours end at the 21st to 23rd place: rounded, with ties.
    st.decimals(0, 1000, places=validity.NON_TERMINATING_PLACES - 2),
    st.decimals(0, 10, places=validity.NON_TERMINATING_PLACES + 3),
    # About the O3 MDA8 limit, where a day with too few valid windows is still valid: only a mean above the limit
    # once rounded counts (LIMIT + 5·TINY is a tie, rounded to LIMIT; so is LIMIT + 30·TINY over 6 hours).
    st.sampled_from([LIMIT + k * TINY for k in (-1, 0, 1, 5, 6, 30, 40, 48, 60)] + [LIMIT - 1, LIMIT + 1]),
)


@st.composite
def present_hours(draw: st.DrawFn) -> frozenset[int]:
    """Hours with a value: so many (about the 20 of a daily mean), a run (18 or 19 from 00:00 give 13 or 14 valid
    8-hour windows), or all but a gap and a few holes (windows with 5 or 6 values)."""
    kind = draw(st.sampled_from(["count", "run", "gap"]))
    if kind == "count":
        count = draw(st.sampled_from([0, 5, 6, 8, 13, 14, 18, 19, 20, 21, 23, 24]))
        return frozenset(draw(st.permutations(HOURS))[:count])
    if kind == "run":
        start = draw(st.integers(0, validity.HOURS_PER_DAY))
        return frozenset(range(start, start + draw(st.integers(0, validity.HOURS_PER_DAY - start))))
    start, length = draw(st.integers(0, validity.HOURS_PER_DAY - 1)), draw(st.integers(1, 12))
    holes = draw(st.sets(st.sampled_from(HOURS), max_size=3))
    return frozenset(HOURS) - set(range(start, start + length)) - holes


@st.composite
def series(draw: st.DrawFn) -> Series:
    present = draw(present_hours())
    pool = draw(st.lists(draw(st.sampled_from(VALUES)), min_size=1, max_size=3))  # repeats and ties
    missing = draw(st.sets(st.sampled_from(HOURS))) - present  # hours with a row without a valid value
    return {
        **dict.fromkeys(sorted(missing)),
        **{hour: draw(st.sampled_from(pool)) for hour in sorted(present)},
    }


@st.composite
def subject_hours(draw: st.DrawFn) -> Hours:
    subjects = draw(st.lists(st.sampled_from(SUBJECTS), min_size=1, max_size=len(SUBJECTS), unique=True))
    days = [FIRST_DAY + timedelta(days=n) for n in range(draw(st.integers(1, 3)))]
    others = [p for p in AIR_POLLUTANTS if p != OZONE]
    pollutants = st.lists(st.sampled_from(others), max_size=3, unique=True).map(lambda p: [OZONE, *p])
    return {
        (subject, day, pollutant): draw(series())
        for subject in subjects
        for day in days
        for pollutant in draw(pollutants)
    }


def _store(connection: Connection, hours: Hours) -> None:
    """An hour has a row when any pollutant's series has the hour."""
    rows: dict[tuple[str, datetime], dict[str, Decimal | None]] = {}
    for (subject, day, parameter), values in hours.items():
        for hour, value in values.items():
            rows.setdefault((subject, local(day, hour)), {})[parameter] = value
    fill_subject_hours(connection, rows)


def _computed(engine: Engine, hours: Hours) -> DailyValues:
    with engine.connect() as connection, connection.begin() as transaction:
        _store(connection, hours)
        result = daily_values(job(connection, NOW))
        transaction.rollback()
    return result


def _valid(statistic: validity.Statistic) -> Decimal | None:
    return statistic.value if statistic.valid else None


def _expected(hours: Hours) -> DailyValues:
    """The rules in Python: the days of a subject are those with at least one hour row."""
    days = {(subject, day) for (subject, day, _), values in hours.items() if values}
    result: DailyValues = {}
    for subject, day in days:
        day_series = {p: [hours.get((subject, day, p), {}).get(hour) for hour in HOURS] for p in AIR_POLLUTANTS}
        values = {code: _valid(validity.daily_mean(day_series[code])) for code in DAILY_MEAN_ITEMS}
        values["o3_8h"] = _valid(validity.mda8(day_series[OZONE]))
        # air.daily_row's O3 daily maximum 1-hour value, held to the daily-mean coverage.
        ozone = [v for v in day_series[OZONE] if v is not None]
        values["o3_1h_max"] = max(ozone) if len(ozone) >= validity.MIN_HOURS_FOR_DAILY_MEAN else None
        result[(subject, day)] = values
    return result


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(hours=subject_hours())
def test_sql_daily_values_equal_the_standard_on_the_same_hours(alerts_db: Engine, hours: Hours) -> None:
    assert _computed(alerts_db, hours) == _expected(hours)


def _run(hours: range, value: Decimal | str) -> Series:
    return dict.fromkeys(hours, Decimal(value))


NEXT_DAY = FIRST_DAY + timedelta(days=1)
DAYS: Hours = {
    # GB 3095 Table 4: a daily mean needs ≥ 20 1-hour values. 20 hours of 30 (4 missing as rows without a value).
    ("pm25-20h", FIRST_DAY, "pm25"): {**_run(range(20), "30"), **dict.fromkeys(range(20, 24))},
    # 19 hours: not valid. Only PM2.5 has rows that day: every other item is None.
    ("pm25-19h", FIRST_DAY, "pm25"): _run(range(19), "30"),
    # 20 hours of 10 and one of 11: 211/21 = 10.047619047619…, kept to 20 places half-even.
    ("so2-21h", FIRST_DAY, "so2"): {**_run(range(20), "10"), 23: Decimal(11)},
    # HJ 663 §6.1: O3 100 over 00–16 and 200 over 16–24: the 17 8-hour means (00–08 … 16–24) are all valid,
    # the largest is the last one's, 200; the day's 1-hour maximum is 200 (24 hours ≥ 20).
    ("o3-full", FIRST_DAY, "o3"): {**_run(range(16), "100"), **_run(range(16, 24), "200")},
    # O3 100 over 00–19 (19 hours): windows ending 08 … 21 have ≥ 6 values, 14 windows: valid, 100.
    ("o3-14w", FIRST_DAY, "o3"): _run(range(19), "100"),
    # 00–18 (18 hours): 13 valid windows (ending 08 … 20), 100 ≤ 160: not valid.
    ("o3-13w", FIRST_DAY, "o3"): _run(range(18), "100"),
    # O3 170 over 10–18 only: the windows ending 16 … 20 hold 6, 7, 8, 7, 6 values, 5 valid windows,
    # but 170 exceeds GB 3095's Class 2 MDA8 limit 160: valid. Too few hours for a 1-hour maximum.
    ("o3-above", FIRST_DAY, "o3"): _run(range(10, 18), "170"),
    # The same at 150 (≤ 160): not valid.
    ("o3-below", FIRST_DAY, "o3"): _run(range(10, 18), "150"),
    # The limit is compared with the mean as kept, to 20 places: 160.000000000000000000005 is a tie, kept as 160
    # (half-even), which does not exceed 160; 160.000000000000000000006 is kept as 160.00000000000000000001.
    ("o3-tie", FIRST_DAY, "o3"): _run(range(10, 18), "160.000000000000000000005"),
    ("o3-above-tie", FIRST_DAY, "o3"): _run(range(10, 18), "160.000000000000000000006"),
    # A window does not reach into the next day: 300 over 18–24 then 00–05 of the next day. The first day's window
    # 16–24 holds 6 values: 300 > 160, valid with one window. The next day's 00–08 holds 5: no valid window.
    ("o3-midnight", FIRST_DAY, "o3"): _run(range(18, 24), "300"),
    ("o3-midnight", NEXT_DAY, "o3"): _run(range(5), "300"),
}
NONE: dict[str, Decimal | None] = dict.fromkeys(AIR_DAILY_ITEMS)
EXPECTED = {
    ("pm25-20h", FIRST_DAY): {**NONE, "pm25": Decimal(30)},
    ("pm25-19h", FIRST_DAY): NONE,
    ("so2-21h", FIRST_DAY): {**NONE, "so2": Decimal("10.04761904761904761905")},
    ("o3-full", FIRST_DAY): {**NONE, "o3_8h": Decimal(200), "o3_1h_max": Decimal(200)},
    ("o3-14w", FIRST_DAY): {**NONE, "o3_8h": Decimal(100)},
    ("o3-13w", FIRST_DAY): NONE,
    ("o3-above", FIRST_DAY): {**NONE, "o3_8h": Decimal(170)},
    ("o3-below", FIRST_DAY): NONE,
    ("o3-tie", FIRST_DAY): NONE,
    ("o3-above-tie", FIRST_DAY): {**NONE, "o3_8h": Decimal("160.00000000000000000001")},
    ("o3-midnight", FIRST_DAY): {**NONE, "o3_8h": Decimal(300)},
    ("o3-midnight", NEXT_DAY): NONE,
}


def test_hand_computed_days(alerts_db: Engine) -> None:
    computed = _computed(alerts_db, DAYS)
    assert computed == EXPECTED
    assert computed == _expected(DAYS)
