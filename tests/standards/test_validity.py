"""GB 3095 Table 4 and HJ 663 validity rules, period statistics, percentiles and the good-day share."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.standards import validity
from services.standards.validity import HourLabel, Statistic

HOUR = datetime(2026, 5, 1, 10, tzinfo=UTC)


def _hours(present: int, value: int | str = 10, total: int = 24) -> list[int | str | None]:
    return [value] * present + [None] * (total - present)


def _days(year: int, month: int, count: int, start: int = 1) -> list[date]:
    return [date(year, month, day) for day in range(start, start + count)]


# --- 1-hour values from sub-hourly samples -------------------------------------------------------


@pytest.mark.parametrize(("samples", "covered", "valid"), [(8, 40, False), (9, 45, True), (12, 60, True)])
def test_hourly_value_needs_45_minutes(samples: int, covered: int, valid: bool) -> None:
    five_minute = [(HOUR + timedelta(minutes=5 * i), 20 + i) for i in range(samples)]
    result = validity.hourly_mean(five_minute, hour_start=HOUR, interval=timedelta(minutes=5))
    assert (result.count, result.expected, result.valid) == (covered, 60, valid)
    assert result.value == Decimal(20) + Decimal(samples - 1) / 2


def test_hourly_value_44_minutes_59_seconds_is_invalid() -> None:
    samples = [(HOUR, "1.5"), (HOUR + timedelta(minutes=30), "2.5")]
    interval = timedelta(minutes=22, seconds=29, microseconds=500000)  # 2 × 22:29.5 = 44:59
    result = validity.hourly_mean(samples, hour_start=HOUR, interval=interval)
    assert (result.count, result.valid, result.value) == (44, False, Decimal(2))


def test_hourly_value_ignores_other_hours_and_overlaps_and_clips_to_the_hour() -> None:
    samples: list[tuple[datetime, int | str]] = [
        (HOUR - timedelta(minutes=10), 999),  # previous hour's sample, even though it runs into this hour
        (HOUR, 10),
        (HOUR, "10"),  # same timestamp: no extra coverage, but its value is averaged
        (HOUR + timedelta(minutes=20), 40),
        (HOUR + timedelta(minutes=50), 40),  # its span is clipped at the end of the hour
        (HOUR + timedelta(hours=1), 999),  # next hour
    ]
    result = validity.hourly_mean(samples, hour_start=HOUR, interval=timedelta(minutes=15))
    assert result.count == 15 + 15 + 10
    assert not result.valid
    assert result.value == 25


def test_hourly_value_without_samples_and_bad_interval() -> None:
    empty = validity.hourly_mean([], hour_start=HOUR, interval=timedelta(minutes=1))
    assert (empty.value, empty.valid, empty.count, empty.coverage) == (None, False, 0, Fraction(0))
    with pytest.raises(ValueError, match="positive"):
        validity.hourly_mean([], hour_start=HOUR, interval=timedelta(0))


# --- daily and 8-hour means ----------------------------------------------------------------------


@pytest.mark.parametrize(("present", "valid"), [(19, False), (20, True), (24, True)])
def test_daily_mean_needs_20_hours(present: int, valid: bool) -> None:
    result = validity.daily_mean(_hours(present))
    assert (result.valid, result.count, result.expected) == (valid, present, 24)
    assert result.coverage == Fraction(present, 24)
    assert result.value == 10


def test_daily_mean_is_exact_and_keeps_the_value_of_an_invalid_day() -> None:
    hours: list[int | str | float | None] = ["1.1", 2.2, 3, *[None] * 21]
    result = validity.daily_mean(hours)
    assert result == Statistic(Decimal("2.1"), False, 3, 24)
    third = validity.daily_mean([1, *[0] * 23])  # 1/24, non-terminating
    assert third.value == Decimal("0.04166666666666666667")


def test_daily_mean_without_data_and_wrong_length() -> None:
    assert validity.daily_mean([None] * 24) == Statistic(None, False, 0, 24)
    with pytest.raises(ValueError, match="24"):
        validity.daily_mean([1] * 23)


@pytest.mark.parametrize(("present", "valid"), [(5, False), (6, True), (8, True)])
def test_eight_hour_mean_needs_6_of_8(present: int, valid: bool) -> None:
    (window,) = validity.eight_hour_means(_hours(present, value=100, total=8))
    assert (window.valid, window.count, window.expected, window.value) == (valid, present, 8, Decimal(100))


def test_eight_hour_moving_means_slide_one_hour() -> None:
    windows = validity.eight_hour_means(list(range(10)))
    assert [w.value for w in windows] == [Decimal("3.5"), Decimal("4.5"), Decimal("5.5")]
    assert validity.eight_hour_means([1] * 7) == ()


# --- MDA8 ----------------------------------------------------------------------------------------


def _day_with_valid_windows(valid_windows: int, level: int = 100) -> list[int | None]:
    """24 hours whose first ``valid_windows`` of the 17 day windows (ending 08…24) are valid."""
    # With every hour from c on missing, the window ending e (hours e-8..e-1) misses e − c hours, so
    # exactly the windows ending 08 … c+2 keep ≥ 6 hours.
    first_missing = 5 + valid_windows
    return [level if hour < first_missing else None for hour in range(24)]


@pytest.mark.parametrize(("windows", "valid"), [(13, False), (14, True), (17, True)])
def test_mda8_needs_14_valid_windows(windows: int, valid: bool) -> None:
    hours = _day_with_valid_windows(windows)
    result = validity.mda8(hours)
    assert (result.count, result.expected, result.valid, result.value) == (windows, 17, valid, Decimal(100))


def test_mda8_with_13_windows_is_valid_above_the_limit_only() -> None:
    at_limit = validity.mda8(_day_with_valid_windows(13, level=160))
    above = validity.mda8(_day_with_valid_windows(13, level=161))
    assert (at_limit.valid, at_limit.value) == (False, Decimal(160))
    assert (above.valid, above.value) == (True, Decimal(161))
    custom = validity.mda8(_day_with_valid_windows(13, level=101), limit="100")
    assert custom.valid


def test_mda8_takes_the_maximum_over_valid_windows_only() -> None:
    hours: list[int | None] = [0] * 24
    hours[0:5] = [1000] * 5  # high, but hours 5–7 are missing: windows ending 08…13 hold ≤ 5 hours
    hours[5:8] = [None] * 3
    hours[12] = 800
    hours[16:24] = [80] * 8
    result = validity.mda8(hours)
    # Window ending 20:00 (hours 12–19): (800 + 4·80) / 8 = 140; ending 19: 130; ending 24: 80.
    assert result.value == 140
    assert (result.count, result.valid) == (11, False)


def test_mda8_hour_labelling_shifts_the_windows() -> None:
    hours: list[int | None] = [0] * 25
    hours[24] = 800  # the next day's 00–01 hour
    hours[0] = 80  # the day's first hour
    ending = validity.mda8(hours[:24])
    beginning = validity.mda8(hours, labelling=HourLabel.BEGINNING)
    assert ending.value == 10  # window 00–08 holds hour 0
    assert beginning.value == 100  # window 17–01 holds the next day's first hour
    with pytest.raises(ValueError, match="25"):
        validity.mda8(hours[:24], labelling=HourLabel.BEGINNING)
    with pytest.raises(ValueError, match="24"):
        validity.mda8(hours)


def test_mda8_without_any_valid_window() -> None:
    result = validity.mda8([None] * 24)
    assert result == Statistic(None, False, 0, 17)


# --- annual and monthly completeness -------------------------------------------------------------


def _full_year(year: int) -> list[date]:
    start = date(year, 1, 1)
    return [start + timedelta(days=i) for i in range((date(year + 1, 1, 1) - start).days)]


def _year_with(total: int, year: int = 2025) -> list[date]:
    """``total`` days (≥ 322) with no month below its minimum, so only the yearly count decides."""
    days = _full_year(year)
    dropped = len(days) - total
    removable = [d for d in days if d.day > (25 if d.month == 2 else 27)]
    return [d for d in days if d not in set(removable[:dropped])]


@pytest.mark.parametrize(("total", "valid"), [(323, False), (324, True), (365, True)])
def test_annual_needs_324_days(total: int, valid: bool) -> None:
    result = validity.annual_completeness(_year_with(total), 2025)
    assert (result.count, result.expected, result.valid) == (total, 365, valid)
    assert result.short_months == ()


@pytest.mark.parametrize(("in_month", "valid"), [(26, False), (27, True)])
def test_annual_needs_27_days_in_each_month(in_month: int, valid: bool) -> None:
    days = [d for d in _full_year(2025) if d.month != 4] + _days(2025, 4, in_month)
    result = validity.annual_completeness(days, 2025)
    assert result.count >= 324
    assert result.valid is valid
    assert result.short_months == (() if valid else (4,))
    assert result.per_month[4] == in_month


@pytest.mark.parametrize(("in_february", "valid"), [(24, False), (25, True)])
def test_annual_needs_25_days_in_february(in_february: int, valid: bool) -> None:
    days = [d for d in _full_year(2024) if d.month != 2] + _days(2024, 2, in_february)
    result = validity.annual_completeness(days, 2024)
    assert (result.expected, result.valid) == (366, valid)
    assert result.coverage == Fraction(337 + in_february, 366)


def test_annual_completeness_ignores_other_years_and_duplicates() -> None:
    days = [*_full_year(2025), *_full_year(2025)[:10], date(2026, 1, 1)]
    result = validity.annual_completeness(days, 2025)
    assert (result.count, result.valid) == (365, True)


def test_other_completeness_rules_are_data() -> None:
    rule = validity.ANNUAL_RULE_TSP_BAP_PB
    days = [date(2025, month, day) for month in range(1, 13) for day in range(1, 6)]
    assert validity.annual_completeness(days, 2025, rule=rule).valid
    assert not validity.annual_completeness(days[:-1], 2025, rule=rule).valid
    assert (rule.per_year, rule.minimum_for_month(2)) == (60, 5)


@pytest.mark.parametrize(("month", "present", "valid"), [(4, 26, False), (4, 27, True), (2, 24, False), (2, 25, True)])
def test_monthly_mean_needs_27_days_or_25_in_february(month: int, present: int, valid: bool) -> None:
    daily: dict[date, int | None] = dict.fromkeys(_days(2025, month, present), 30)
    daily[date(2025, month, 28)] = None
    daily[date(2024, month, 1)] = 999  # another year
    result = validity.monthly_mean(daily, 2025, month)
    expected_days = 28 if month == 2 else 30
    assert result == Statistic(Decimal(30), valid, present, expected_days)


def test_annual_mean_and_its_validity() -> None:
    daily: dict[date, int | str | None] = {d: (10 if d.month <= 6 else 20) for d in _full_year(2025)}
    result = validity.annual_mean(daily, 2025)
    # 181 days of 10 (Jan–Jun) and 184 of 20: (1810 + 3680) / 365
    assert result.value == Decimal("15.04109589041095890411")
    assert (result.valid, result.count, result.expected) == (True, 365, 365)
    thin = {d: v for d, v in daily.items() if d.day <= 26}
    assert not validity.annual_mean(thin, 2025).valid


# --- percentiles ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "p", "expected"),
    [
        # n = 10, p = 90: k = 1 + 9·0.9 = 9.1, s = 9 → 9 + (10 − 9)·0.1 = 9.1
        (list(range(1, 11)), 90, "9.1"),
        # n = 5, p = 95: k = 1 + 4·0.95 = 4.8 → 40 + (50 − 40)·0.8 = 48
        ([50, 10, 40, 20, 30], 95, "48"),
        # n = 4, p = 98: k = 1 + 3·0.98 = 3.94 → 7 + (100 − 7)·0.94 = 94.42
        ([3, 100, 1, 7], 98, "94.42"),
        # n = 2, p = 50: k = 1.5 → 1.1 + 0.1·0.5 = 1.15 (exact: floats give 1.1500000000000001)
        (["1.1", "1.2"], 50, "1.15"),
        ([5], 90, "5"),
        ([1, 2, 3], 100, "3"),
        ([1, 2, 3], 0, "1"),
    ],
)
def test_percentile_hj663(values: list[int | str], p: int, expected: str) -> None:
    assert validity.percentile(values, p) == Decimal(expected)


def test_percentile_rejects_empty_and_out_of_range() -> None:
    with pytest.raises(ValueError, match="no values"):
        validity.percentile([], 90)
    with pytest.raises(ValueError, match=r"0\.\.100"):
        validity.percentile([1], 101)


@given(
    st.lists(st.decimals(min_value=0, max_value=1000, places=1), min_size=1, max_size=50),
    st.integers(min_value=0, max_value=100),
)
def test_percentile_lies_between_neighbours(values: list[Decimal], p: int) -> None:
    result = validity.percentile(values, p)
    assert min(values) <= result <= max(values)
    assert validity.percentile(values, 0) == min(values)
    assert validity.percentile(values, 100) == max(values)


def test_annual_percentile_with_validity() -> None:
    daily: dict[date, int | None] = {d: i + 1 for i, d in enumerate(_full_year(2025))}
    result = validity.annual_percentile(daily, 2025, 90)
    # n = 365: k = 1 + 364·0.9 = 328.6 → 328 + 1·0.6
    assert result == Statistic(Decimal("328.6"), True, 365, 365)
    sparse = {d: v for d, v in daily.items() if d.month == 1}
    assert validity.annual_percentile(sparse, 2025, 90).valid is False
    assert validity.annual_percentile({}, 2025, 90) == Statistic(None, False, 0, 365)


# --- good-day share and bad-day budget -----------------------------------------------------------


def test_good_day_share_counts_published_days_only() -> None:
    share = validity.good_day_share([50, 100, 101, None, 300, 20])
    assert (share.good_days, share.valid_days, share.share) == (3, 5, Fraction(3, 5))
    bulletin = validity.good_day_share([100] * 86 + [150] * 5 + [None] * 3)
    assert bulletin.share == Fraction(86, 91)
    assert validity.good_day_share([None, None]).share is None


def test_bad_day_budget_of_a_fresh_year() -> None:
    fresh = validity.bad_day_budget(days_in_year=365, days_elapsed=0, good_days=0, valid_days=0)
    assert (fresh.remaining_days, fresh.remaining_bad_days, fresh.reachable) == (365, 36, True)
    assert fresh.best_case_share == 1
    assert fresh.projected_share is None
    leap = validity.bad_day_budget(days_in_year=366, days_elapsed=0, good_days=0, valid_days=0)
    assert leap.remaining_bad_days == 36  # 366 − 329.4 = 36.6


def test_bad_day_budget_mid_year() -> None:
    # 200 days, 190 valid, 170 good: year-end valid = 190 + 165 = 355; need ≥ 319.5 good;
    # 170 + 165 − b ≥ 319.5 → b ≤ 15.5 → 15.
    budget = validity.bad_day_budget(days_in_year=365, days_elapsed=200, good_days=170, valid_days=190)
    assert (budget.remaining_bad_days, budget.reachable) == (15, True)
    assert budget.best_case_share == Fraction(335, 355)
    # 20 non-good days per 200 → 16.5 more; (170 + 165 − 16.5) / 355
    assert budget.projected_share == Fraction(3185, 3550)


def test_bad_day_budget_when_target_is_lost_or_exactly_met() -> None:
    lost = validity.bad_day_budget(days_in_year=365, days_elapsed=300, good_days=250, valid_days=300)
    assert (lost.remaining_bad_days, lost.reachable) == (0, False)
    exact = validity.bad_day_budget(days_in_year=365, days_elapsed=365, good_days=9, valid_days=10, target="0.9")
    assert (exact.remaining_bad_days, exact.reachable, exact.best_case_share) == (0, True, Fraction(9, 10))
    offline = validity.bad_day_budget(days_in_year=365, days_elapsed=365, good_days=0, valid_days=0)
    assert (offline.reachable, offline.best_case_share, offline.projected_share) == (False, None, None)


@pytest.mark.parametrize(
    "arguments",
    [
        {"days_in_year": 364, "days_elapsed": 0, "good_days": 0, "valid_days": 0},
        {"days_in_year": 365, "days_elapsed": 10, "good_days": 5, "valid_days": 11},
        {"days_in_year": 365, "days_elapsed": 10, "good_days": 6, "valid_days": 5},
        {"days_in_year": 365, "days_elapsed": 366, "good_days": 0, "valid_days": 0},
        {"days_in_year": 365, "days_elapsed": 0, "good_days": 0, "valid_days": 0, "target": 0},
        {"days_in_year": 365, "days_elapsed": 0, "good_days": 0, "valid_days": 0, "target": "1.1"},
    ],
)
def test_bad_day_budget_rejects_impossible_inputs(arguments: dict[str, int | str]) -> None:
    with pytest.raises(ValueError):
        validity.bad_day_budget(**arguments)  # type: ignore[arg-type]


@given(
    days_elapsed=st.integers(min_value=0, max_value=365),
    valid_ratio=st.fractions(min_value=0, max_value=1),
    good_ratio=st.fractions(min_value=0, max_value=1),
)
def test_spending_the_budget_exactly_meets_the_target(
    days_elapsed: int, valid_ratio: Fraction, good_ratio: Fraction
) -> None:
    valid_days = int(days_elapsed * valid_ratio)
    good_days = int(valid_days * good_ratio)
    budget = validity.bad_day_budget(
        days_in_year=365, days_elapsed=days_elapsed, good_days=good_days, valid_days=valid_days
    )
    remaining = 365 - days_elapsed
    year_end_valid = valid_days + remaining
    if budget.reachable:
        b = budget.remaining_bad_days
        assert Fraction(good_days + remaining - b, year_end_valid) >= Fraction(9, 10)
        assert b == remaining or Fraction(good_days + remaining - b - 1, year_end_valid) < Fraction(9, 10)
    else:
        assert year_end_valid == 0 or Fraction(good_days + remaining, year_end_valid) < Fraction(9, 10)
