"""Heavy-pollution episodes, pure: the run of hours above the heavy-pollution AQI, the province's warning levels
as rules.yaml ships them, and which forecast days count."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from itertools import takewhile

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.alerts.rules.definitions import load_rules
from services.alerts.rules.metrics.episodes import HOUR, Episode, Forecast, current_episode, forecast_level
from services.alerts.settings import BUILT_IN_RULES
from services.standards.local_time import BEIJING_TIME

HEAVY = load_rules(BUILT_IN_RULES).heavy_pollution
LAST = datetime(2026, 12, 3, 9, tzinfo=BEIJING_TIME)


def _hours(*values: int | None) -> dict[datetime, int]:
    """Hourly AQIs ending with the hour LAST (None: the hour has no AQI)."""
    first = LAST - (len(values) - 1) * HOUR
    return {first + i * HOUR: v for i, v in enumerate(values) if v is not None}


@pytest.mark.parametrize(
    ("hours", "expected"),
    [
        (_hours(150, 201, 250), Episode(LAST - HOUR, LAST, 2, 250)),
        (_hours(*[230] * 30), Episode(LAST - 29 * HOUR, LAST, 30, 230)),
        (_hours(201, 200, 300), Episode(LAST, LAST, 1, 300)),  # 200 is 中度污染: the run starts after it
        (_hours(300, None, 260), Episode(LAST, LAST, 1, 260)),  # a missing hour ends the run
        (_hours(300, 200), None),
        (_hours(300, None), None),
        ({}, None),
    ],
)
def test_the_episode_is_the_run_of_hours_above_200_up_to_the_latest(
    hours: dict[datetime, int], expected: Episode | None
) -> None:
    assert current_episode(hours, LAST, HEAVY.aqi_above) == expected


def test_the_shipped_thresholds() -> None:
    assert (HEAVY.aqi_above, HEAVY.window_hours) == (200, 24)


@pytest.mark.parametrize(
    ("forecast", "warning"),
    [
        ([210], None),
        ([210, 201], "黄色预警"),
        ([200, 201, 150, 300], None),  # AQI 200 is not above 200; the two days above are in separate runs
        ([220, 230, 240], "黄色预警"),  # three days but none above 300
        ([220, 310, 240], "橙色预警"),
        ([310, 320], "黄色预警"),  # above 300 twice, but only two days
        ([220, 310, 320, 240], "红色预警"),
        ([220, 310, 240, 240], "橙色预警"),  # four days, one above 300
        ([201, 500], "红色预警"),  # AQI 500 on a day
        ([250, 250, 150, 310, 310, 310], "橙色预警"),  # the levels look within one run
    ],
)
def test_warning_levels_of_the_provinces_scheme(forecast: list[int], warning: str | None) -> None:
    start = date(2026, 12, 3)
    days = [(start + timedelta(days=i), v) for i, v in enumerate(forecast)]
    level = forecast_level(HEAVY, days)
    assert (level and level.name) == warning


def test_only_forecast_days_from_today_count() -> None:
    forecast = Forecast(LAST, "张三", date(2026, 12, 1), (320, 330, 210, 220))
    assert forecast.from_day(date(2026, 12, 3)) == [(date(2026, 12, 3), 210), (date(2026, 12, 4), 220)]
    assert forecast.from_day(date(2026, 12, 5)) == []
    level = forecast_level(HEAVY, forecast.from_day(date(2026, 12, 3)))
    assert level is not None and level.name == "黄色预警"


def _level(forecast: list[int]) -> int:
    level = HEAVY.level_of(forecast)
    return 0 if level is None else level.level


@given(st.lists(st.one_of(st.none(), st.integers(0, 500)), max_size=60))
def test_the_episode_is_the_trailing_run_above_200(values: list[int | None]) -> None:
    run: list[int] = []
    for value in takewhile(lambda v: v is not None and v > HEAVY.aqi_above, reversed(values)):
        assert value is not None
        run.append(value)
    episode = current_episode(_hours(*values), LAST, HEAVY.aqi_above)
    if run:
        assert episode == Episode(LAST - (len(run) - 1) * HOUR, LAST, len(run), max(run))
    else:
        assert episode is None


@given(st.lists(st.integers(0, 500), min_size=1, max_size=15), st.data())
def test_a_worse_forecast_never_lowers_the_warning(forecast: list[int], data: st.DataObject) -> None:
    day = data.draw(st.integers(0, len(forecast) - 1))
    worse = [*forecast[:day], data.draw(st.integers(forecast[day], 500)), *forecast[day + 1 :]]
    assert _level(worse) >= _level(forecast)
