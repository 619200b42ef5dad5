from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.standards.local_time import BEIJING_TIME
from services.standards.parameters import PARAMETERS, Kind
from services.standards.water import GB3838_2002, item_class
from simulators.stations import StationSpec, load_gateways
from simulators.values import air_values, pm_episode, sample, waste_values, water_episode

SEED = 212
STATIONS = {s.code: s for g in load_gateways() for s in g.stations}
WATER = [s for s in STATIONS.values() if s.kind is Kind.WATER]
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


def _year_of_days(spec: StationSpec, year: int) -> list[datetime]:
    start = datetime(year, 1, 1, 10, tzinfo=BEIJING_TIME)
    return [start + timedelta(days=n) for n in range(365)]


@pytest.mark.parametrize("spec", WATER, ids=lambda s: s.code)
def test_water_sits_near_its_target_with_rare_class_iv_episodes(spec: StationSpec) -> None:
    days = _year_of_days(spec, 2025)
    worst = [
        max(
            item_class(code, value, "river")
            for code, value in sample(SEED, spec, day).values.items()
            if code in GB3838_2002.codes and code != "tn"
        )
        for day in days
    ]
    episode_days = sum(water_episode(SEED, spec.code, day.date()) for day in days)
    assert sum(c >= 4 for c in worst) >= episode_days >= 1  # episodes happen, and they show as Class Ⅳ+
    assert sum(c <= 3 for c in worst) / len(worst) > 0.85  # most days meet Class Ⅲ


def test_ozone_peaks_in_summer_afternoons() -> None:
    spec = STATIONS["AIR-YUECHENG"]
    o3 = {hour: air_values(SEED, spec, datetime(2025, 7, 10, hour, tzinfo=BEIJING_TIME))["o3"] for hour in range(24)}
    assert max(o3, key=lambda h: o3[h]) in range(11, 17)
    assert o3[14] > 2 * o3[3]


def test_winter_pm25_episodes_exceed_the_daily_good_limit() -> None:
    spec = STATIONS["AIR-KEQIAO"]
    winter = [date(2025, 12, 1) + timedelta(days=n) for n in range(90)]
    episode_days = [d for d in winter if pm_episode(SEED, d)]
    assert episode_days and not pm_episode(SEED, date(2025, 7, 1))
    noon = [
        air_values(SEED, spec, datetime.combine(d, datetime.min.time(), BEIJING_TIME).replace(hour=12))["pm25"]
        for d in episode_days
    ]
    assert sum(noon) / len(noon) > Decimal(75)


@pytest.mark.parametrize(
    ("station", "route", "low", "high"),
    [
        ("WST-INCINERATION", "incinerated", "2300", "2800"),
        ("WST-FOODWASTE", "food_waste", "420", "520"),
        ("WST-RECYCLING", "recycled", "500", "600"),
        ("WST-INDUSTRIAL", "industrial_generated", "1650", "1950"),
    ],
)
def test_waste_runs_near_the_usual_load(station: str, route: str, low: str, high: str) -> None:
    values = waste_values(SEED, STATIONS[station], datetime(2025, 5, 6, tzinfo=BEIJING_TIME))
    assert Decimal(low) <= values[route] <= Decimal(high)


def test_landfill_is_normally_zero() -> None:
    spec = STATIONS["WST-LANDFILL"]
    year = [waste_values(SEED, spec, day)["landfilled"] for day in _year_of_days(spec, 2025)]
    assert sum(v == 0 for v in year) / len(year) > 0.95


def test_industrial_routes_add_up_to_at_most_what_was_generated() -> None:
    values = waste_values(SEED, STATIONS["WST-INDUSTRIAL"], datetime(2025, 5, 6, tzinfo=BEIJING_TIME))
    assert values["industrial_utilized"] + values["industrial_disposed"] <= values["industrial_generated"]


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        sample(SEED, STATIONS["AIR-ZHUJI"], datetime(2026, 1, 1))
