"""The value generator: deterministic and physical sample by sample, and a simulated year that looks like
Shaoxing's with the default seed (city good-day share, the pollutants behind the non-good days, flood-season
Class Ⅳ months on a plain river, plausible tonnages). Pure: no broker, no database.

The year is judged as the alerts service judges it: the city's hourly values are the mean of its national
stations, daily values and MDA8 follow GB 3095 / HJ 663 (``services.standards.validity``), the daily AQI
HJ 633 of the day's version; water classes are GB 3838 classes of the period means of daily means.
"""

from __future__ import annotations

import functools
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.standards import aqi, validity, water
from services.standards.local_time import BEIJING_TIME
from services.standards.parameters import PARAMETERS, Kind
from services.storage.seed import read_registry_yaml
from simulators.stations import StationSpec, load_gateways
from simulators.values import (
    FLOOD_SEASON,
    air_values,
    in_flood_season,
    pm_episode,
    sample,
    waste_values,
    water_episode,
)

SEED = 212
STATIONS = {s.code: s for g in load_gateways() for s in g.stations}
WATER = [s for s in STATIONS.values() if s.kind is Kind.WATER]
CITY = ("AIR-YUECHENG", "AIR-KEQIAO", "AIR-SHANGYU")  # the national stations (ENVMON_ALERTS_CITY_CONTROL_LEVELS)
# Sections counted in the Class Ⅰ–Ⅲ share (ENVMON_ALERTS_SHARE_CONTROL_LEVELS) and their control levels.
SHARE_LEVELS = ("national", "provincial")
CONTROL_LEVELS = {entry.code: entry.control_level for entry in read_registry_yaml()[0].water}
AIR_DAILY = ("pm25", "pm10", "so2", "no2", "co")
moments = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC))


@given(moment=moments, station=st.sampled_from(sorted(STATIONS)), seed=st.integers(0, 10**6))
@settings(max_examples=200, deadline=None)
def test_samples_are_deterministic_and_physically_possible(moment: datetime, station: str, seed: int) -> None:
    spec = STATIONS[station]
    first, again = sample(seed, spec, moment), sample(seed, spec, moment)
    assert first == again
    for parameter, value in first.values.items():
        assert PARAMETERS[parameter].kind is spec.kind
        assert PARAMETERS[parameter].in_physical_range(value), (parameter, value)
    assert set(first.flags.values()) == {"N"}


def test_another_seed_gives_other_values() -> None:
    moment = datetime(2026, 6, 1, 10, tzinfo=BEIJING_TIME)
    spec = STATIONS["PYJ-JINHUA"]
    assert sample(1, spec, moment).values != sample(2, spec, moment).values


def _days(year: int) -> list[date]:
    first = date(year, 1, 1)
    return [first + timedelta(days=n) for n in range((date(year + 1, 1, 1) - first).days)]


# --- air: the city's year -------------------------------------------------------------------------


@dataclass(frozen=True)
class AirDay:
    day: date
    aqi: int | None
    primary: tuple[str, ...]
    pm25: Decimal | None
    o3_8h: Decimal | None


@functools.cache
def city_year(year: int) -> tuple[AirDay, ...]:
    """The city's days of ``year`` from the generator, computed as the alerts service computes them."""
    result = []
    for day in _days(year):
        start = datetime.combine(day, datetime.min.time(), BEIJING_TIME)
        hours = [[sample(SEED, STATIONS[c], start + timedelta(hours=h)).values for c in CITY] for h in range(24)]
        series = {p: [sum((v[p] for v in hour), Decimal(0)) / len(CITY) for hour in hours] for p in (*AIR_DAILY, "o3")}
        values: dict[str, Decimal | None] = {p: validity.daily_mean(series[p]).value for p in AIR_DAILY}
        values["o3_8h"] = validity.mda8(series["o3"]).value
        values["o3_1h_max"] = max(series["o3"])
        standard = aqi.standard_for(day)
        result.append(
            AirDay(
                day,
                (r := aqi.daily_aqi({c: values[c] for c in aqi.items_for(standard, hourly=False)}, day)).aqi,
                r.primary,
                values["pm25"],
                values["o3_8h"],
            )
        )
    return tuple(result)


YEAR = 2026  # the demo's year: HJ 633-2012 in January and February, HJ 633—2026 from March


def test_the_citys_year_has_85_to_92_percent_good_days() -> None:
    days = city_year(YEAR)
    share = validity.good_day_share(d.aqi for d in days)
    assert share.valid_days == len(days) and share.share is not None
    assert Fraction(85, 100) <= share.share <= Fraction(92, 100), share


def test_winter_particles_and_summer_ozone_make_the_non_good_days() -> None:
    non_good = [d for d in city_year(YEAR) if d.aqi is not None and d.aqi > validity.GOOD_DAY_MAX_AQI]
    by_season: Counter[tuple[str, bool]] = Counter()
    for d in non_good:
        warm = 4 <= d.day.month <= 10
        by_season.update((("o3" if p.startswith("o3") else p), warm) for p in d.primary)
    assert by_season[("pm25", False)] >= 8  # winter PM2.5 episodes
    assert by_season[("o3", True)] >= 15  # summer O3
    assert by_season[("pm25", True)] + by_season[("o3", False)] <= 3  # hardly ever the other way round
    assert all(d.aqi is not None and d.aqi <= 200 for d in non_good)  # heavy pollution stays rare (none here)


def test_levels_look_like_shaoxing_and_pm25_falls_year_on_year() -> None:
    pm25 = [d.pm25 for d in city_year(YEAR) if d.pm25 is not None]
    assert Decimal(24) <= sum(pm25, Decimal(0)) / len(pm25) <= Decimal(32)
    o3_p90 = validity.percentile([d.o3_8h for d in city_year(YEAR) if d.o3_8h is not None], 90)
    assert Decimal(140) <= o3_p90 <= Decimal(175)

    def sparse_mean(year: int) -> Decimal:  # every sixth hour of every day: enough for the trend
        hours = [
            datetime.combine(d, datetime.min.time(), BEIJING_TIME) + timedelta(hours=h)
            for d in _days(year)
            for h in (1, 7, 13, 19)
        ]
        values = [air_values(SEED, STATIONS[c], hour)["pm25"] for hour in hours for c in CITY]
        return sum(values, Decimal(0)) / len(values)

    assert sparse_mean(YEAR) < sparse_mean(YEAR - 1)


def test_ozone_peaks_in_summer_afternoons() -> None:
    spec = STATIONS["AIR-YUECHENG"]
    o3 = {hour: air_values(SEED, spec, datetime(2025, 7, 10, hour, tzinfo=BEIJING_TIME))["o3"] for hour in range(24)}
    assert max(o3, key=lambda h: o3[h]) in range(11, 17)
    assert o3[14] > 2 * o3[3]


def test_winter_episodes_are_regional_blocks() -> None:
    winter = [date(2025, 11, 1) + timedelta(days=n) for n in range(120)]
    episode = {d for d in winter if pm_episode(SEED, d)}
    assert episode and not any(pm_episode(SEED, date(2025, 7, 1) + timedelta(days=n)) for n in range(90))

    def noon_mean(code: str, days: list[date]) -> Decimal:
        moments = [datetime.combine(d, datetime.min.time(), BEIJING_TIME) + timedelta(hours=12) for d in days]
        return sum((air_values(SEED, STATIONS[code], m)["pm25"] for m in moments), Decimal(0)) / len(moments)

    for code in CITY:  # every station sees each episode
        assert noon_mean(code, sorted(episode)) > Decimal("1.5") * noon_mean(code, sorted(set(winter) - episode))


# --- water: sections' months ----------------------------------------------------------------------


@functools.cache
def section_days(code: str, year: int) -> Mapping[int, list[dict[str, Decimal]]]:
    """The section's daily means of its GB 3838 items by month of ``year``, from its programme's reports."""
    spec = STATIONS[code]
    start = datetime(year, 1, 1, tzinfo=BEIJING_TIME)
    by_day: dict[date, list[Mapping[str, Decimal]]] = defaultdict(list)
    for moment, parameters in spec.schedule(start, start.replace(year=year + 1)).items():
        values = sample(SEED, spec, moment).values
        by_day[moment.astimezone(BEIJING_TIME).date()].append({p: values[p] for p in parameters if p in values})
    months: dict[int, list[dict[str, Decimal]]] = defaultdict(list)
    for day, samples in sorted(by_day.items()):
        items = set(water.GB3838_2002.codes).intersection(*samples)
        months[day.month].append({p: sum((s[p] for s in samples), Decimal(0)) / len(samples) for p in items})
    return months


def section_months(code: str, year: int) -> dict[int, water.SectionResult]:
    """The section's GB 3838 class per month: the class of the means of its daily means."""
    return {month: water.classify_period(days, "river") for month, days in section_days(code, year).items()}


def _counted(spec: StationSpec) -> bool:
    return CONTROL_LEVELS[spec.code] in SHARE_LEVELS


def test_flood_season_puts_one_or_two_provincial_sections_in_class_iv_for_some_months() -> None:
    year = 2026
    worse = {
        spec.code: [m for m, r in section_months(spec.code, year).items() if r.water_class >= 4]
        for spec in WATER
        if _counted(spec)
    }
    failing = {code: months for code, months in worse.items() if months}
    assert 1 <= len(failing) <= 2, failing
    assert "XXJ-YANGXUN" in failing  # 西小江, the plain river
    assert all(CONTROL_LEVELS[code] == "provincial" for code in failing)
    for code, months in failing.items():
        assert all(in_flood_season(date(year, m, 15)) for m in months), months  # only in 汛期
        assert all(section_months(code, year)[m].water_class == 4 for m in months)  # Ⅳ, not worse


def test_the_year_still_meets_class_iii_everywhere() -> None:
    """The excursions are months: year to date every counted section stays Ⅰ–Ⅲ (the share target holds)."""
    for spec in WATER:
        days = [day for month in section_days(spec.code, 2026).values() for day in month]
        assert water.classify_period(days, "river").water_class <= 3, spec.code


@pytest.mark.parametrize("spec", WATER, ids=lambda s: s.code)
def test_outside_the_flood_season_every_section_meets_its_target(spec: StationSpec) -> None:
    (first_month, _), (last_month, _) = FLOOD_SEASON
    months = section_months(spec.code, 2026)
    assert spec.target_class is not None
    dry = [m for m in months if not first_month <= m <= last_month]
    assert all(months[m].water_class <= spec.target_class for m in dry), {m: months[m].label for m in dry}


def test_incidents_are_rare_one_day_events() -> None:
    days = _days(2025)
    incidents = sum(water_episode(SEED, spec.code, day) for spec in WATER for day in days)
    assert 0.01 <= incidents / (len(WATER) * len(days)) <= 0.03


# --- waste ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("station", "route", "low", "high"),
    [
        ("WST-INCINERATION", "incinerated", "2300", "2800"),
        ("WST-FOODWASTE", "food_waste", "420", "520"),
        ("WST-RECYCLING", "recycled", "480", "600"),
        ("WST-INDUSTRIAL", "industrial_generated", "1600", "1950"),
    ],
)
def test_waste_runs_near_the_usual_load_and_drops_at_the_spring_festival(
    station: str, route: str, low: str, high: str
) -> None:
    spec = STATIONS[station]
    ordinary = waste_values(SEED, spec, datetime(2025, 5, 6, tzinfo=BEIJING_TIME))[route]
    assert Decimal(low) <= ordinary <= Decimal(high)
    festival = waste_values(SEED, spec, datetime(2026, 2, 18, tzinfo=BEIJING_TIME))[route]
    assert festival < Decimal(low)
    year = [waste_values(SEED, spec, datetime.combine(d, datetime.min.time(), BEIJING_TIME)) for d in _days(2026)]
    assert all(v[route] <= spec.capacity_t_per_day for v in year if spec.capacity_t_per_day is not None)


def test_nothing_is_landfilled() -> None:
    spec = STATIONS["WST-LANDFILL"]
    days = _days(2026)
    assert {
        waste_values(SEED, spec, datetime.combine(d, datetime.min.time(), BEIJING_TIME))["landfilled"] for d in days
    } == {Decimal("0.0")}


def test_industrial_routes_add_up_to_at_most_what_was_generated() -> None:
    values = waste_values(SEED, STATIONS["WST-INDUSTRIAL"], datetime(2025, 5, 6, tzinfo=BEIJING_TIME))
    assert values["industrial_utilized"] + values["industrial_disposed"] <= values["industrial_generated"]


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        sample(SEED, STATIONS["AIR-ZHUJI"], datetime(2026, 1, 1))
