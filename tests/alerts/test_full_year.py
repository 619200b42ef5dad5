"""A synthetic 2026, across the switch to HJ 633—2026 on 1 March, whose good days, bad-day budgets, Class Ⅰ–Ⅲ
shares and eco-flow attainment are worked out by hand.

The year is recomputed in three stages, as the running service would see it: on 1 April (as of 31 March), on
1 July (as of 30 June) and on 1 January 2027 (as of 31 December). The year-to-date figures are captured after
each stage; every expected number below is a literal with its arithmetic, never a call into the code under test.

Air, by day of year n (1 January = 1):
- n divisible by 10: polluted; the city's PM2.5 is 100 µg/m³;
- n divisible by 37: only 12 hours of data, so no daily value is valid and the AQI is NA (no overlap with the
  polluted days below 370);
- every other day good; the city's PM2.5 is 30 µg/m³.
Each of the city's three stations reports 20 hourly values of the six pollutants (04:00–23:00) — the least that
makes every daily item valid, which HJ 633—2026 §5.3 needs for an AQI ≤ 100: 20 hours for the daily means, and
for the O3 MDA8 the 8-hour windows ending 10:00 … 24:00 have ≥ 6 hours each (15 windows ≥ 14), while those ending
08:00 and 09:00 have 4 and 5. The short days (04:00–15:00) have 12 hours (< 20) and 9 valid windows (< 14).

Hand-computed IAQIs (IAQI = ⌈IAQI_lo + (IAQI_hi − IAQI_lo)·(C − BP_lo)/(BP_hi − BP_lo)⌉):
- PM2.5 30 (the city on a good day), both versions, 0–35 → 0–50: ⌈50·30/35⌉ = ⌈42.86⌉ = 43;
- PM2.5 100 (the city on a polluted day): 2012, 75–115 → 100–150: ⌈100 + 50·25/40⌉ = ⌈131.25⌉ = 132;
  2026, 60–115 → 100–150: ⌈100 + 50·40/55⌉ = ⌈136.36⌉ = 137;
- AIR-YUECHENG runs 10 above the city (AIR-KEQIAO 10 below): PM2.5 40 → 2012 ⌈50 + 50·5/40⌉ = ⌈56.25⌉ = 57,
  2026 ⌈50 + 50·5/25⌉ = 60; PM2.5 110 → 2012 ⌈100 + 50·35/40⌉ = ⌈143.75⌉ = 144, 2026 ⌈100 + 50·50/55⌉ =
  ⌈145.45⌉ = 146; AIR-KEQIAO's 20 and 90 give 29 and 119/128: every station has the city's good and bad days;
- the other items stay low: PM10 30 → 15, SO2 5 → 5, NO2 10 → ⌈12.5⌉ = 13, CO 0.5 → ⌈12.5⌉ = 13,
  O3 MDA8 50 → 25, and (2012 only) the O3 daily maximum 1-hour value 50 → ⌈50·50/160⌉ = ⌈15.6⌉ = 16.

Water, one laboratory (manual) sample a day at 08:00, so the period means are 环办〔2011〕22号's means of the
samples (the 2020 rule's automatic daily values would need 2/3 of the stations' programmes):
- PYJ-JINHUA (national): NH3-N 0.4 → Ⅱ; flow 9 m³/s, 8 in August (its ecological minimum is 8.5);
- PYJ-ANHUA (provincial): NH3-N 1.4 → Ⅳ in January, February and July, 0.8 → Ⅲ otherwise; flow 4.2 m³/s (its
  minimum: equal attains), 4.1 in February;
- XXJ-YANGXUN (provincial): TP 0.15 → Ⅲ; no flow data, so no eco-flow figure;
- CEJ-SHANGPU (municipal, outside the share): NH3-N 2.5 → 劣Ⅴ.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, text

from services.alerts.figures.recompute import recompute_days
from tests.support.alerts import (
    CITY,
    CITY_STATIONS,
    Reading,
    air_day,
    close,
    copy_readings,
    empty_alerts_tables,
    job,
    local,
    water_day,
)

pytestmark = pytest.mark.integration

YEAR_START = date(2026, 1, 1)
CHECKPOINTS = (date(2026, 3, 31), date(2026, 6, 30), date(2026, 12, 31))
RECOMPUTE_HOUR = 10  # the stage runs at 10:00 local on the day after its checkpoint
POLLUTED_EVERY, SHORT_EVERY = 10, 37
VALID_HOURS, SHORT_HOURS = range(4, 24), range(4, 16)
CITY_PM25 = {"good": 30, "polluted": 100}
PM25_OFFSETS = {"AIR-KEQIAO": -10, "AIR-SHANGYU": 0, "AIR-YUECHENG": 10}  # their mean is the city's value
SAMPLE_HOUR = (8,)
ANHUA_CLASS_IV_MONTHS = (1, 2, 7)


def day_of_year(n: int) -> date:
    return YEAR_START + timedelta(days=n - 1)


def air_readings(n: int) -> Iterator[Reading]:
    kind = "polluted" if n % POLLUTED_EVERY == 0 else "good"
    hours = SHORT_HOURS if n % SHORT_EVERY == 0 else VALID_HOURS
    for station in CITY_STATIONS:
        yield from air_day(day_of_year(n), [station], hours, pm25=CITY_PM25[kind] + PM25_OFFSETS[station])


def water_readings(day: date) -> Iterator[Reading]:
    anhua = {"nh3n": 1.4 if day.month in ANHUA_CLASS_IV_MONTHS else 0.8, "flow": 4.1 if day.month == 2 else 4.2}
    samples = [
        *water_day("PYJ-JINHUA", day, {"nh3n": 0.4, "flow": 8 if day.month == 8 else 9}, SAMPLE_HOUR),
        *water_day("PYJ-ANHUA", day, anhua, SAMPLE_HOUR),
        *water_day("XXJ-YANGXUN", day, {"tp": 0.15}, SAMPLE_HOUR),
        *water_day("CEJ-SHANGPU", day, {"nh3n": 2.5}, SAMPLE_HOUR),
    ]
    for sample in samples:
        yield {**sample, "source": "manual"}


def year_readings() -> Iterator[Reading]:
    for n in range(1, 366):
        yield from air_readings(n)
        yield from water_readings(day_of_year(n))


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The year-to-date figures as one stage left them."""

    air_year: dict[str, dict[str, Any]]  # subject → air_year row for 2026
    city_windows: dict[str, tuple[int, int]]  # window → (good days, valid days)
    water_classes: dict[str, int]  # section → year-to-date class
    anhua_mean: Decimal
    water_share: tuple[int, int, Decimal]  # sections, in Ⅰ–Ⅲ, share
    eco_flow: dict[str, tuple[int, int]]  # subject → (days attained, days with data)


def snapshot(connection: Connection) -> Snapshot:
    air_year = {
        row["subject"]: dict(row)
        for row in connection.execute(text("select * from air_year where year = 2026")).mappings()
    }
    windows = connection.execute(
        text("select window_name, good_days, valid_days from air_good_days where subject = :c"), {"c": CITY}
    ).all()
    classes = connection.execute(text("select section, water_class from water_period where period = '2026'")).all()
    anhua_mean = connection.execute(
        text("select means ->> 'nh3n' from water_period where section = 'PYJ-ANHUA' and period = '2026'")
    ).scalar_one()
    share = connection.execute(
        text("select sections, sections_i_iii, share from water_share where period = '2026'")
    ).one()
    eco = connection.execute(
        text("select subject, days_attained, days_with_data from eco_flow_period where period = '2026'")
    ).all()
    return Snapshot(
        air_year,
        {w: (g, v) for w, g, v in windows},
        dict(classes),
        Decimal(anhua_mean),
        tuple(share),
        {s: (a, d) for s, a, d in eco},
    )


@pytest.fixture(scope="module")
def synthetic_2026(engine: Engine) -> dict[date, Snapshot]:
    """The year loaded once, recomputed stage by stage; the snapshot after each stage by its checkpoint."""
    empty_alerts_tables(engine, "readings", "rejected_messages", "recompute_queue")
    with engine.begin() as connection:
        copy_readings(connection, year_readings())
    snapshots: dict[date, Snapshot] = {}
    first = YEAR_START
    for as_of in CHECKPOINTS:
        with engine.begin() as connection:
            now = local(as_of + timedelta(days=1), RECOMPUTE_HOUR)
            recompute_days(job(connection, now), [first + timedelta(days=i) for i in range((as_of - first).days + 1)])
            snapshots[as_of] = snapshot(connection)
        first = as_of + timedelta(days=1)
    return snapshots


@dataclass(frozen=True, slots=True)
class AirYear:
    elapsed: int
    good: int
    valid: int
    remaining: int
    budget: int
    reachable: bool
    best_case: Fraction
    projected: Fraction
    month: tuple[int, int]  # (good, valid) of the checkpoint's month


# Budget: the largest b with (good + remaining − b) / (valid + remaining) ≥ 9/10. Projection: the year-to-date
# non-good days per calendar day, (valid − good) / elapsed, carried over the remaining days.
AIR_YEAR = {
    # n ≤ 90: polluted 10, 20, …, 90 = 9; short 37, 74 = 2; valid 90 − 2 = 88; good 88 − 9 = 79.
    # Remaining 275; year-end valid 88 + 275 = 363; 79 + 275 − b ≥ 326.7 → b ≤ 27.3 → 27; best case 354/363.
    # Projection: 9/90 · 275 = 27.5 more bad days → (354 − 27.5)/363 = 653/726.
    # March (n 60–90): polluted 60, 70, 80, 90, short 74 → valid 30, good 26.
    date(2026, 3, 31): AirYear(90, 79, 88, 275, 27, True, Fraction(354, 363), Fraction(653, 726), (26, 30)),
    # n ≤ 181: polluted 18; short 37, 74, 111, 148 = 4; valid 177; good 159.
    # Remaining 184; year-end valid 361; 159 + 184 − b ≥ 324.9 → b ≤ 18.1 → 18; best case 343/361.
    # Projection: 18/181 · 184 = 3312/181 → (343 − 3312/181)/361 = (62083 − 3312)/(181 · 361) = 58771/65341.
    # June (n 152–181): polluted 160, 170, 180, no short day → valid 30, good 27.
    date(2026, 6, 30): AirYear(181, 159, 177, 184, 18, True, Fraction(343, 361), Fraction(58771, 65341), (27, 30)),
    # n ≤ 365: polluted 36; short 37 · 1 … 37 · 9 = 9; valid 356; good 320: 320/356 = 80/89 < 90 %.
    # Nothing remains: 320 − 0.9 · 356 = −0.4 < 0 → budget 0, target missed; best case = projection = 80/89.
    # December (n 335–365): polluted 340, 350, 360; the last short day is 333 → valid 31, good 28.
    date(2026, 12, 31): AirYear(365, 320, 356, 0, 0, False, Fraction(80, 89), Fraction(80, 89), (28, 31)),
}


@pytest.mark.parametrize("as_of", CHECKPOINTS)
def test_good_days_budget_and_projection(synthetic_2026: dict[date, Snapshot], as_of: date) -> None:
    expected, found = AIR_YEAR[as_of], synthetic_2026[as_of]
    city = found.air_year[CITY]
    assert (city["as_of"], city["days_elapsed"], city["good_days"], city["valid_days"]) == (
        as_of,
        expected.elapsed,
        expected.good,
        expected.valid,
    )
    assert close(city["share"], Fraction(expected.good, expected.valid))
    assert (city["remaining_days"], city["remaining_bad_days"], city["reachable"]) == (
        expected.remaining,
        expected.budget,
        expected.reachable,
    )
    assert close(city["best_case_share"], expected.best_case)
    assert close(city["projected_share"], expected.projected)
    # No data before 2026: the last 365 days hold exactly the year to date.
    year_to_date = (expected.good, expected.valid)
    assert found.city_windows == {"month": expected.month, "ytd": year_to_date, "last365": year_to_date}
    # Each station is good or bad on the same days as the city (see the IAQIs above).
    assert {
        s: (found.air_year[s]["good_days"], found.air_year[s]["valid_days"]) for s in CITY_STATIONS
    } == dict.fromkeys(CITY_STATIONS, year_to_date)


# Year-to-date PM2.5 over the valid days (30 on good days, 100 on polluted ones) and the coverage it rests on:
# the pro-rata annual minimum ⌈324 · elapsed / 365⌉, every month at least 27 valid days (February 25).
PM25_YEAR_TO_DATE = {
    # (79 · 30 + 9 · 100)/88 = 3270/88; required ⌈324 · 90/365⌉ = ⌈79.9⌉ = 80; Jan 31, Feb 27, Mar 30 valid days.
    date(2026, 3, 31): (Fraction(3270, 88), 80),
    # (159 · 30 + 18 · 100)/177 = 6570/177; required ⌈324 · 181/365⌉ = ⌈160.7⌉ = 161;
    # February has 27 valid days (≥ 25), the other months ≥ 29 (≥ 27).
    date(2026, 6, 30): (Fraction(6570, 177), 161),
    # (320 · 30 + 36 · 100)/356 = 13200/356; the full year needs 324.
    date(2026, 12, 31): (Fraction(13200, 356), 324),
}


@pytest.mark.parametrize("as_of", CHECKPOINTS)
def test_pm25_mean_and_o3_percentile_with_coverage(synthetic_2026: dict[date, Snapshot], as_of: date) -> None:
    city = synthetic_2026[as_of].air_year[CITY]
    mean, required = PM25_YEAR_TO_DATE[as_of]
    assert close(city["pm25_mean"], mean)
    assert (city["pm25_days"], city["days_required"], city["pm25_valid"], city["pm25_short_months"]) == (
        AIR_YEAR[as_of].valid,
        required,
        True,
        [],
    )
    assert city["o3_mda8_p90"] == Decimal(50)  # O3 is 50 every hour, so every MDA8 is 50
    assert city["pm25_mean_last_year"] is None  # no 2025 data


# City daily AQI and AIR-YUECHENG's on days either side of the switch (IAQIs in the module notes).
DAILY_AQI = [
    (day_of_year(10), "HJ 633-2012", 132, 144, ["pm25"]),  # polluted
    (day_of_year(37), "HJ 633-2012", None, None, []),  # 6 February: short, NA
    (day_of_year(58), "HJ 633-2012", 43, 57, []),  # good; 43 ≤ 50 has no primary pollutant
    (day_of_year(60), "HJ 633-2026", 137, 146, ["pm25"]),  # 1 March, polluted: the 2026 PM2.5 breakpoints
    (day_of_year(61), "HJ 633-2026", 43, 60, []),
    (day_of_year(74), "HJ 633-2026", None, None, []),  # 15 March: short, NA
]


@pytest.mark.parametrize(("day", "standard", "city_aqi", "station_aqi", "primary"), DAILY_AQI)
def test_daily_aqi_on_both_sides_of_the_switch(
    synthetic_2026: dict[date, Snapshot],
    engine: Engine,
    day: date,
    standard: str,
    city_aqi: int | None,
    station_aqi: int | None,
    primary: list[str],
) -> None:
    with engine.connect() as connection:
        rows = {
            subject: (std, aqi, pollutants)
            for subject, std, aqi, pollutants in connection.execute(
                text(
                    "select subject, standard, aqi, primary_pollutants from air_daily "
                    "where day = :d and subject in (:c, 'AIR-YUECHENG')"
                ),
                {"d": day, "c": CITY},
            )
        }
    assert rows[CITY] == (standard, city_aqi, primary)
    assert rows["AIR-YUECHENG"][:2] == (standard, station_aqi)


# Monthly classes: PYJ-ANHUA's, and the Class Ⅰ–Ⅲ count among the three national/provincial sections with data
# (PYJ-JINHUA Ⅱ and XXJ-YANGXUN Ⅲ every month; CEJ-SHANGPU 劣Ⅴ but municipal, so not counted).
MONTHS = [
    ("2026-01", 4, 2),
    ("2026-02", 4, 2),
    ("2026-03", 3, 3),
    ("2026-04", 3, 3),
    ("2026-05", 3, 3),
    ("2026-06", 3, 3),
    ("2026-07", 4, 2),
    ("2026-08", 3, 3),
    ("2026-09", 3, 3),
    ("2026-10", 3, 3),
    ("2026-11", 3, 3),
    ("2026-12", 3, 3),
]


@pytest.mark.parametrize(("period", "anhua", "in_i_iii"), MONTHS)
def test_monthly_classes_and_class_i_iii_share(
    synthetic_2026: dict[date, Snapshot], engine: Engine, period: str, anhua: int, in_i_iii: int
) -> None:
    with engine.connect() as connection:
        classes: dict[str, int] = dict(
            connection.execute(
                text("select section, water_class from water_period where period = :p"), {"p": period}
            ).all()
        )
        share = connection.execute(
            text("select sections, sections_i_iii, share from water_share where period = :p"), {"p": period}
        ).one()
    assert classes == {"PYJ-JINHUA": 2, "PYJ-ANHUA": anhua, "XXJ-YANGXUN": 3, "CEJ-SHANGPU": 6}
    assert share[:2] == (3, in_i_iii)
    assert close(share[2], Fraction(in_i_iii, 3))


# Year to date, PYJ-ANHUA's NH3-N is the mean of its daily means: January and February (59 days) at 1.4, then 0.8.
WATER_YEAR_TO_DATE = {
    # (59 · 1.4 + 31 · 0.8)/90 = (82.6 + 24.8)/90 = 107.4/90 ≈ 1.193 > 1.0 → Ⅳ: 2 of 3 in Ⅰ–Ⅲ.
    date(2026, 3, 31): (Fraction(1074, 900), 4, 2),
    # (82.6 + 122 · 0.8)/181 = (82.6 + 97.6)/181 = 180.2/181 ≈ 0.9956 ≤ 1.0 → Ⅲ: 3 of 3.
    date(2026, 6, 30): (Fraction(1802, 1810), 3, 3),
    # July is at 1.4 too: (90 · 1.4 + 275 · 0.8)/365 = (126 + 220)/365 = 346/365 ≈ 0.948 → Ⅲ: 3 of 3.
    date(2026, 12, 31): (Fraction(346, 365), 3, 3),
}


@pytest.mark.parametrize("as_of", CHECKPOINTS)
def test_year_to_date_class_i_iii_share(synthetic_2026: dict[date, Snapshot], as_of: date) -> None:
    mean, anhua, in_i_iii = WATER_YEAR_TO_DATE[as_of]
    found = synthetic_2026[as_of]
    assert found.water_classes == {"PYJ-JINHUA": 2, "PYJ-ANHUA": anhua, "XXJ-YANGXUN": 3, "CEJ-SHANGPU": 6}
    assert close(found.anhua_mean, mean)
    assert found.water_share[:2] == (3, in_i_iii)
    assert close(found.water_share[2], Fraction(in_i_iii, 3))


# Days attained / days with flow data; the city pools PYJ-JINHUA and PYJ-ANHUA (XXJ-YANGXUN has no flow data).
ECO_FLOW_YEAR_TO_DATE = {
    # Jinhua 90/90; Anhua misses February's 28 days: 62/90; city 152/180.
    date(2026, 3, 31): {"PYJ-JINHUA": (90, 90), "PYJ-ANHUA": (62, 90), CITY: (152, 180)},
    # Jinhua 181/181; Anhua 181 − 28 = 153; city 334/362.
    date(2026, 6, 30): {"PYJ-JINHUA": (181, 181), "PYJ-ANHUA": (153, 181), CITY: (334, 362)},
    # Jinhua misses August's 31 days: 334/365; Anhua 337/365; city 671/730 ≈ 91.9 %.
    date(2026, 12, 31): {"PYJ-JINHUA": (334, 365), "PYJ-ANHUA": (337, 365), CITY: (671, 730)},
}


@pytest.mark.parametrize("as_of", CHECKPOINTS)
def test_ecological_flow_attainment_year_to_date(synthetic_2026: dict[date, Snapshot], as_of: date) -> None:
    assert synthetic_2026[as_of].eco_flow == ECO_FLOW_YEAR_TO_DATE[as_of]


@pytest.mark.parametrize(
    ("period", "expected"),
    [
        ("2026-02", {"PYJ-JINHUA": (28, 28), "PYJ-ANHUA": (0, 28), CITY: (28, 56)}),
        ("2026-08", {"PYJ-JINHUA": (0, 31), "PYJ-ANHUA": (31, 31), CITY: (31, 62)}),
        ("2026-09", {"PYJ-JINHUA": (30, 30), "PYJ-ANHUA": (30, 30), CITY: (60, 60)}),
    ],
)
def test_ecological_flow_attainment_by_month(
    synthetic_2026: dict[date, Snapshot], engine: Engine, period: str, expected: dict[str, tuple[int, int]]
) -> None:
    with engine.connect() as connection:
        rows = connection.execute(
            text("select subject, days_attained, days_with_data, share from eco_flow_period where period = :p"),
            {"p": period},
        ).all()
    assert {subject: (attained, days) for subject, attained, days, _ in rows} == expected
    assert all(close(share, Fraction(attained, days)) for _, attained, days, share in rows)


def test_staged_recompute_publishes_without_revisions(synthetic_2026: dict[date, Snapshot], engine: Engine) -> None:
    with engine.connect() as connection:
        revisions = connection.execute(text("select count(*) from figure_revisions")).scalar_one()
        unpublished_months = connection.execute(
            text("select count(*) from water_period where period like '2026-%' and published_at is null")
        ).scalar_one()
    # Each stage only adds days after the last; the year's figures are published on 1 January 2027.
    assert revisions == 0 and unpublished_months == 0
    assert synthetic_2026[date(2026, 6, 30)].air_year[CITY]["published_at"] is None
    assert synthetic_2026[date(2026, 12, 31)].air_year[CITY]["published_at"] is not None
