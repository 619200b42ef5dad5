"""The set-based hourly AQI (``hourly_aqi``) gives exactly the ``air_hourly`` rows of the hour-by-hour path
(``aqi.hourly_aqi``) on the same subject hours and programmes; and a few hours computed
by hand from HJ 633.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, Engine, text

from services.alerts.figures.hourly_aqi import grid_unit, publish_hourly_aqi
from services.alerts.figures.publication import published_at, value_columns
from services.alerts.figures.subject_hours import Measured, analyze_subject_tables
from services.alerts.tables import AIR_POLLUTANTS, air_hourly
from services.standards import aqi
from services.standards.local_time import day_start, local_date
from services.storage.programmes import ProgrammePeriod, Programmes
from tests.support.alerts import fill_subject_hours, job, local

pytestmark = pytest.mark.integration

HOUR = timedelta(hours=1)
SWITCH = day_start(aqi.SWITCH_DATE)  # 2026-03-01 00:00 Beijing time: HJ 633—2026 from this hour on
HOURS = [SWITCH + k * HOUR for k in range(-3, 3)]  # 2026-02-28 21:00 … 2026-03-01 02:00
FIRST, LAST = local_date(HOURS[0]), local_date(HOURS[-1])
NOW = SWITCH + HOUR  # hours up to 00:00 have ended and are published; later ones are provisional
SUBJECTS = ("AIR-TEST", "测试市")
COLUMNS = ["subject", "hour", *value_columns(air_hourly), "published_at"]
ABSENT = "absent"  # no 1-hour value row for this pollutant and hour (missing, like a NULL value)

Hours = dict[datetime, dict[str, Decimal | None]]  # a subject's 1-hour values per hour
SubjectRows = dict[str, dict[datetime, dict[str, Decimal | None]]]  # stored 1-hour values; no key: no row
Programme = dict[str, dict[date, frozenset[str] | None]]  # None: no subject_measured row that day


def _concentrations(code: str) -> st.SearchStrategy[Decimal | None]:
    """Values where the rules turn: None, zero, many decimal places, exact ties at the reporting precision,
    every breakpoint of both versions and just above or below it, and far above the top."""
    step = Decimal(1) / grid_unit(code)
    columns = [aqi.BREAKPOINTS[standard][aqi.HOURLY_COLUMNS[code]] for standard in aqi.Standard]
    breakpoints = sorted({b for column in columns for b in column})
    top = max(column[-1] for column in columns)
    nudges = [Decimal(0), step / 2, -step / 2, step, -step, step / 2 + Decimal("1e-12"), step / 2 - Decimal("1e-12")]
    near_breakpoints = st.builds(
        lambda b, d: max(b + d, Decimal(0)), st.sampled_from(breakpoints), st.sampled_from(nudges)
    )
    ties = st.integers(0, int(top / step) + 3).map(lambda n: (n + Decimal("0.5")) * step)
    many_places = st.integers(0, 9).flatmap(
        lambda places: st.decimals(0, 2 * top, places=places, allow_nan=False, allow_infinity=False)
    )
    huge = st.one_of(st.integers(4, 40).map(lambda e: Decimal(10) ** e), st.decimals(top, 10**9, places=3))
    zero = st.sampled_from([Decimal(0), Decimal("0.000"), Decimal("0E-12")])
    return st.one_of(st.none(), zero, near_breakpoints, ties, many_places, huge)


@st.composite
def subject_hours(draw: st.DrawFn) -> tuple[SubjectRows, Programme]:
    rows: SubjectRows = {}
    programme: Programme = {}
    for subject in draw(st.lists(st.sampled_from(SUBJECTS), min_size=1, max_size=2, unique=True)):
        hours = draw(st.lists(st.sampled_from(HOURS), min_size=1, max_size=len(HOURS), unique=True))
        rows[subject] = {}
        for hour in hours:
            drawn = {code: draw(st.one_of(st.just(ABSENT), _concentrations(code))) for code in AIR_POLLUTANTS}
            rows[subject][hour] = {code: value for code, value in drawn.items() if not isinstance(value, str)}
        measured = st.one_of(
            st.none(), st.frozensets(st.sampled_from(AIR_POLLUTANTS)), st.just(frozenset(AIR_POLLUTANTS))
        )
        programme[subject] = {day: draw(measured) for day in (FIRST, LAST)}
    return rows, programme


def _fill(connection: Connection, rows: SubjectRows, programme: Programme) -> None:
    fill_subject_hours(
        connection,
        {
            (subject, hour): concentrations
            for subject, hours in rows.items()
            for hour, concentrations in hours.items()
            if concentrations  # an hour exists when it has any row
        },
    )
    measured = [
        {"subject": subject, "day": day, "pollutants": sorted(pollutants)}
        for subject, days in programme.items()
        for day, pollutants in days.items()
        if pollutants is not None
    ]
    if measured:
        connection.execute(
            text("insert into subject_measured (subject, day, pollutants) values (:subject, :day, :pollutants)"),
            measured,
        )
    analyze_subject_tables(connection)


def _hourly_rows(rows: SubjectRows, programme: Programme, now: datetime) -> dict[tuple[str, datetime], dict[str, Any]]:
    """The hour-by-hour path on the same input: each hour's values through ``aqi.hourly_aqi`` (a pollutant without
    a value is missing), and the programme as ``Measured`` reads it."""
    expected = {}
    for subject, hours in rows.items():
        subject_hours: Hours = {}
        for hour, concentrations in hours.items():
            if concentrations:  # an hour exists when it has any row
                subject_hours[hour] = {code: concentrations.get(code) for code in AIR_POLLUTANTS}
        periods = [
            ProgrammePeriod(subject, code, HOUR, day, day + timedelta(days=1))
            for day, pollutants in programme[subject].items()
            for code in pollutants or ()
        ]
        measured = Measured(Programmes(tuple(periods)), (subject,))
        for hour, values in subject_hours.items():
            absent = measured.not_in_programme(aqi.HOURLY_ITEMS, local_date(hour))
            result = aqi.hourly_aqi(values, hour, not_in_programme=absent)
            expected[subject, hour] = {
                "subject": subject,
                "hour": hour,
                **values,
                "aqi": result.aqi,
                "category": result.category,
                "primary_pollutants": list(result.primary),
                "standard": result.standard.value,
                "published_at": published_at(hour + HOUR, now),
            }
    return expected


def _published(connection: Connection) -> dict[tuple[str, datetime], dict[str, Any]]:
    result = connection.execute(text(f"select {', '.join(COLUMNS)} from air_hourly")).mappings()
    return {(row["subject"], row["hour"]): dict(row) for row in result}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(generated=subject_hours())
def test_the_set_based_hourly_aqi_equals_the_hour_by_hour_one(
    alerts_db: Engine, generated: tuple[SubjectRows, Programme]
) -> None:
    rows, programme = generated
    expected = _hourly_rows(rows, programme, NOW)
    with alerts_db.connect() as connection, connection.begin() as transaction:
        _fill(connection, rows, programme)
        publish_hourly_aqi(job(connection, NOW), FIRST, LAST)
        published = _published(connection)
        transaction.rollback()
    assert published.keys() == expected.keys()
    for key, row in expected.items():
        assert published[key] == {column: row[column] for column in COLUMNS}, key


@pytest.mark.parametrize(
    ("value", "message"), [(Decimal("-0.4"), "negative concentration for so2"), (Decimal("NaN"), "not a finite number")]
)
def test_a_negative_or_nan_value_raises_as_on_the_hour_by_hour_path(
    alerts_db: Engine, value: Decimal, message: str
) -> None:
    rows: SubjectRows = {"AIR-TEST": {SWITCH: {"so2": value, "pm25": Decimal(30)}}}
    programme: Programme = {"AIR-TEST": {FIRST: frozenset(AIR_POLLUTANTS), LAST: frozenset(AIR_POLLUTANTS)}}
    with pytest.raises(ValueError, match=message):
        _hourly_rows(rows, programme, NOW)
    with alerts_db.connect() as connection, connection.begin() as transaction:
        _fill(connection, rows, programme)
        with pytest.raises(ValueError, match=message):
            publish_hourly_aqi(job(connection, NOW), FIRST, LAST)
        transaction.rollback()


# The last hour of HJ 633-2012 and the first of HJ 633—2026 (2026-03-01 00:00 Beijing time).
H2012, H2026 = local(date(2026, 2, 28), 23), local(date(2026, 3, 1), 0)
NOW_HAND = local(date(2026, 3, 1), 0, 30)  # the 2012 hour has ended (published), the 2026 hour has not
# 1-hour values whose largest IAQI is PM2.5's ⌈50 × 30 / 35⌉ = 43 under both versions (PM2.5 35 µg/m³ at IAQI 50).
CLEAN: Mapping[str, Decimal | None] = {
    "pm25": Decimal(30),
    "pm10": Decimal(30),
    "so2": Decimal(5),
    "no2": Decimal(10),
    "co": Decimal("0.5"),
    "o3": Decimal(50),
}
EVERYTHING = frozenset(AIR_POLLUTANTS)
HAND_COMPUTED: list[tuple[str, datetime, Mapping[str, Decimal | None], frozenset[str], Any, Any, list[str]]] = [
    # id, hour, 1-hour values changed from CLEAN, pollutants measured, expected AQI, category, primary pollutants
    ("clean", H2026, {}, EVERYTHING, 43, "优", []),  # AQI ≤ 50: no primary pollutant (HJ 633 §6.1)
    # GB/T 8170: 74.5 rounds to even, 74; HJ 633-2012 Table 1 PM2.5 35→50, 75→100: ⌈50 + 50 × 39/40⌉ = 99.
    # (Half away from zero would give 75 and IAQI 100.)
    ("tie-to-even", H2012, {"pm25": Decimal("74.5")}, EVERYTHING, 99, "良", ["pm25"]),
    # 75.5 rounds to 76. HJ 633-2012: 75→100, 115→150: ⌈100 + 50 × 1/40⌉ = 102; HJ 633—2026 Table 3 PM2.5
    # 60→100, 115→150: ⌈100 + 50 × 16/55⌉ = 115.
    ("pm25-2012", H2012, {"pm25": Decimal("75.5")}, EVERYTHING, 102, "轻度污染", ["pm25"]),
    ("pm25-2026", H2026, {"pm25": Decimal("75.5")}, EVERYTHING, 115, "轻度污染", ["pm25"]),
    # CO to 0.1 mg/m³: 10.05 rounds to 10.0 (even); CO 1-h 5→50, 10→100 gives 100 (half up, 10.1, gives 101).
    ("co-tenths", H2026, {"co": Decimal("10.05")}, EVERYTHING, 100, "良", ["co"]),
    # HJ 633—2026 Table 3 note (b): SO2 1-h above 800 µg/m³ has IAQI 200.
    ("so2-above-2026", H2026, {"so2": Decimal(801)}, EVERYTHING, 200, "中度污染", ["so2"]),
    # HJ 633-2012 Table 1 note: SO2 1-h above 800 reports the SO2 24-h IAQI instead; an hour has none, so SO2 is
    # unrated and the AQI comes from the rest (HJ 633-2012 has no NA rule).
    ("so2-above-2012", H2012, {"so2": Decimal(801)}, EVERYTHING, 43, "优", []),
    # HJ 633—2026 §5.3: with a pollutant missing, an AQI ≤ 100 is NA …
    ("missing-2026", H2026, {"co": None}, EVERYTHING, None, None, []),
    # … but not when the pollutant is not in the programme ("/") …
    ("not-in-programme", H2026, {"co": None}, EVERYTHING - {"co"}, 43, "优", []),
    # … nor when the rest give more than 100: PM10 250→150, 350→200: ⌈150 + 50 × 50/100⌉ = 175.
    ("missing-but-high", H2026, {"co": None, "pm10": Decimal(300)}, EVERYTHING, 175, "中度污染", ["pm10"]),
    # HJ 633-2012 has no NA rule: the AQI of what exists.
    ("missing-2012", H2012, {"co": None}, EVERYTHING, 43, "优", []),
    # Above NO2 1-h's top breakpoint (3840) the IAQI is capped at 500 (our decision, see aqi).
    ("capped", H2026, {"no2": Decimal(5000)}, EVERYTHING, 500, "严重污染", ["no2"]),
    # Ties for the largest IAQI are all primary, in item order: PM2.5 60 and PM10 120 both give 100 in 2026.
    ("two-primary", H2026, {"pm25": Decimal(60), "pm10": Decimal(120)}, EVERYTHING, 100, "良", ["pm25", "pm10"]),
    # Everything rounds to 0 (CO to 0.0): AQI 0 in level 1 (HJ 633—2026 states 1–500; our decision, see aqi).
    ("zero", H2026, {**dict.fromkeys(AIR_POLLUTANTS, Decimal("0.4")), "co": Decimal("0.04")}, EVERYTHING, 0, "优", []),
]


def test_hand_computed_hours(alerts_db: Engine) -> None:
    rows: SubjectRows = {case: {hour: {**CLEAN, **changed}} for case, hour, changed, *_ in HAND_COMPUTED}
    programme: Programme = {case: dict.fromkeys((FIRST, LAST), measured) for case, _, _, measured, *_ in HAND_COMPUTED}
    with alerts_db.connect() as connection, connection.begin() as transaction:
        _fill(connection, rows, programme)
        publish_hourly_aqi(job(connection, NOW_HAND), FIRST, LAST)
        published = _published(connection)
        transaction.rollback()
    by_hand = {
        case: (aqi_value, category, primary, aqi.standard_for(hour).value, NOW_HAND if hour == H2012 else None)
        for case, hour, _, _, aqi_value, category, primary in HAND_COMPUTED
    }
    computed = {
        subject: (row["aqi"], row["category"], row["primary_pollutants"], row["standard"], row["published_at"])
        for (subject, _), row in published.items()
    }
    assert computed == by_hand
    # The hour-by-hour path agrees.
    assert {key: {c: row[c] for c in COLUMNS} for key, row in _hourly_rows(rows, programme, NOW_HAND).items()} == (
        published
    )
