"""Data validity and period statistics per GB 3095 and HJ 663, as pure functions.

Sources:

- GB 3095—2026 Table 4 (same rows as GB 3095-2012): a 1-hour value needs ≥ 45 minutes of sampling in
  the hour; a daily mean ≥ 20 hourly values; an 8-hour mean ≥ 6 of its 8 hours; an annual mean ≥ 324
  daily values and ≥ 27 in each month (February ≥ 25), the month rule also being the monthly-mean
  rule. Daily, monthly and annual means are arithmetic means (of hourly, then daily values).
- HJ 663-2013 §6.1 (reported unchanged in HJ 663—2026, which we could not read [?]): the O3 MDA8 of a
  day is the maximum of the 8-hour means ending 08:00 … 24:00 (17 windows) and is valid with ≥ 14
  valid windows, or with fewer when it exceeds the limit (GB 3095 Class 2 MDA8: 160 µg/m³); annual
  percentiles need the annual completeness above; the percentile formula is HJ 663 Appendix A as
  quoted second-hand [?]: k = 1 + (n − 1)·p/100, s = ⌊k⌋, m = x(s) + (x(s+1) − x(s))·(k − s).
- Good-day share (优良天数比例) = days with AQI ≤ 100 / valid days; a day is valid when its AQI was
  published (an NA day under HJ 633—2026 §5.3 is left out of both counts) [I].

Decisions and open questions:

- Hour labelling [?]: whether a station's hour "08" means 07–08 or 08–09 is unconfirmed. Hourly
  series here are physical: index i of a day covers [i:00, i+1:00). :func:`mda8` takes the
  standard's own labelling as a parameter: ``HourLabel.ENDING`` (default; the 8-h mean "at 08" covers
  00–08, so the 17 windows lie inside the day) or ``HourLabel.BEGINNING`` (each window one hour later,
  the last one needing the next day's 00–01 hour).
- A 1-hour value is the arithmetic mean of the sub-hourly samples in the hour; each sample covers
  [timestamp, timestamp + interval), and the covered minutes are the union of those spans inside the
  hour.
- A :class:`Statistic` keeps the value computed from the data present even when it is not valid, so
  it can be shown with its flag; users of the statistic must check ``valid``.
- Means are exact rationals; ``Statistic.value`` is that rational as a ``Decimal``, exact whenever it
  terminates within 20 decimal places and otherwise rounded half-even there (far finer than any later
  GB/T 8170 rounding, so it cannot change a reported figure). Coverage and shares are exact
  ``Fraction`` values.
- The bad-day budget assumes every remaining calendar day will be a valid day; its projection also
  assumes non-good days keep the year-to-date rate per calendar day (see :func:`bad_day_budget`).
"""

from __future__ import annotations

import calendar
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import MAX_EMAX, MAX_PREC, MIN_EMIN, Context, Decimal, Inexact, Rounded, localcontext
from enum import StrEnum
from fractions import Fraction
from types import MappingProxyType

from services.standards.numbers import Number, to_decimal

HOURS_PER_DAY = 24
MINUTES_PER_HOUR = 60
MIN_MINUTES_FOR_HOURLY_VALUE = 45
MIN_HOURS_FOR_DAILY_MEAN = 20
HOURS_PER_8H_WINDOW = 8
MIN_HOURS_FOR_8H_MEAN = 6
MDA8_WINDOW_ENDS = range(8, 25)  # 8-hour means ending 08:00 … 24:00
MIN_WINDOWS_FOR_MDA8 = 14
MDA8_LIMIT_CLASS_2 = Decimal("160")  # GB 3095 Class 2 O3 MDA8, µg/m³
GOOD_DAY_MAX_AQI = 100
GOOD_DAY_TARGET = Fraction(9, 10)
# Places kept when an exact mean does not terminate as a decimal.
NON_TERMINATING_PLACES = 20
# Sums of Decimals are exact: the precision covers any finite operands, and rounding would raise.
_EXACT_SUM = Context(prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN, traps=[Inexact, Rounded])
# Room for any exact result: the default 28 significant digits would round a large mean a second time.
_WIDE = Context(prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN)


class HourLabel(StrEnum):
    """How the standard's hour numbers map to clock time (open question, see module notes)."""

    ENDING = "ending"  # hour h covers [h-1, h)
    BEGINNING = "beginning"  # hour h covers [h, h+1)


@dataclass(frozen=True, slots=True)
class Statistic:
    """A statistic with how much data it rests on; ``value`` is None only when there is no data."""

    value: Decimal | None
    valid: bool
    count: int
    expected: int

    @property
    def coverage(self) -> Fraction:
        return Fraction(self.count, self.expected)


@dataclass(frozen=True, slots=True)
class CompletenessRule:
    """Minimum daily values for a period statistic (GB 3095 Table 4)."""

    per_year: int
    per_month: int
    in_february: int

    def minimum_for_month(self, month: int) -> int:
        return self.in_february if month == 2 else self.per_month


# SO2, NO2, PM10, PM2.5, NOx annual means and the HJ 663 annual percentiles (O3 MDA8 included).
ANNUAL_RULE = CompletenessRule(per_year=324, per_month=27, in_february=25)
# TSP, BaP, Pb annual means: evenly spread days, the same count in every month.
ANNUAL_RULE_TSP_BAP_PB = CompletenessRule(per_year=60, per_month=5, in_february=5)


@dataclass(frozen=True, slots=True)
class Completeness:
    valid: bool
    count: int
    expected: int  # calendar days in the year
    per_month: Mapping[int, int]
    short_months: tuple[int, ...]  # months below their minimum

    @property
    def coverage(self) -> Fraction:
        return Fraction(self.count, self.expected)


@dataclass(frozen=True, slots=True)
class GoodDayShare:
    good_days: int
    valid_days: int
    share: Fraction | None  # None without valid days


@dataclass(frozen=True, slots=True)
class BadDayBudget:
    remaining_days: int
    remaining_bad_days: int  # non-good days the year can still absorb; 0 when the target is lost
    reachable: bool
    best_case_share: Fraction | None  # every remaining day valid and good; None: no valid day at all
    projected_share: Fraction | None  # year-to-date non-good rate carried on; None before day 1


def _as_decimal(value: Fraction) -> Decimal:
    """The rational as a Decimal: exact when it terminates within 20 places, else rounded half-even."""
    quotient, remainder = divmod(value.numerator * 10**NON_TERMINATING_PLACES, value.denominator)
    if 2 * remainder > value.denominator or (2 * remainder == value.denominator and quotient % 2):
        quotient += 1
    with localcontext(_WIDE):
        result = Decimal(quotient).scaleb(-NON_TERMINATING_PLACES)
        if remainder:
            return result
        # Exact: drop the padding zeros, keeping integers out of exponent notation.
        return result.quantize(Decimal(1)) if result == result.to_integral_value() else result.normalize()


def _mean(values: Sequence[Decimal]) -> Fraction:
    """The exact mean: the Decimal sum is exact (the context traps any rounding), then one division."""
    with localcontext(_EXACT_SUM):
        total = sum(values, Decimal(0))
    return Fraction(total) / len(values)


def _present(values: Iterable[Number | None]) -> list[Decimal]:
    return [to_decimal(v) for v in values if v is not None]


def _mean_statistic(values: Sequence[Number | None], *, minimum: int, expected: int) -> Statistic:
    present = _present(values)
    value = _as_decimal(_mean(present)) if present else None
    return Statistic(value, len(present) >= minimum, len(present), expected)


def hourly_mean(samples: Iterable[tuple[datetime, Number]], *, hour_start: datetime, interval: timedelta) -> Statistic:
    """1-hour value from sub-hourly samples; valid with ≥ 45 minutes covered.

    Each sample is ``(timestamp, value)`` and covers [timestamp, timestamp + interval) clipped to the
    hour; samples stamped outside [hour_start, hour_start + 1 h) belong to other hours and are ignored.
    Pass only valid (flag N), de-duplicated samples: a repeated timestamp adds no coverage but its value
    still enters the mean. ``count`` is the covered whole minutes, ``expected`` 60.
    """
    if interval <= timedelta(0):
        raise ValueError(f"sample interval must be positive: {interval}")
    hour_end = hour_start + timedelta(hours=1)
    in_hour = sorted(((t, v) for t, v in samples if hour_start <= t < hour_end), key=lambda sample: sample[0])
    covered = timedelta(0)
    reached = hour_start
    for timestamp, _ in in_hour:
        span_start, span_end = max(timestamp, reached), min(timestamp + interval, hour_end)
        if span_end > span_start:
            covered += span_end - span_start
            reached = span_end
    values = [v for _, v in in_hour]
    minutes = int(covered / timedelta(minutes=1))
    present = _present(values)
    return Statistic(
        _as_decimal(_mean(present)) if present else None,
        minutes >= MIN_MINUTES_FOR_HOURLY_VALUE,
        minutes,
        MINUTES_PER_HOUR,
    )


def daily_mean(hourly: Sequence[Number | None]) -> Statistic:
    """Daily mean of a natural day's 24 hourly values (None = missing); valid with ≥ 20."""
    if len(hourly) != HOURS_PER_DAY:
        raise ValueError(f"a day has {HOURS_PER_DAY} hourly values, got {len(hourly)}")
    return _mean_statistic(hourly, minimum=MIN_HOURS_FOR_DAILY_MEAN, expected=HOURS_PER_DAY)


def eight_hour_means(hourly: Sequence[Number | None]) -> tuple[Statistic, ...]:
    """8-hour moving means; element j covers hourly[j : j + 8] and is valid with ≥ 6 values."""
    return tuple(
        _mean_statistic(
            hourly[end - HOURS_PER_8H_WINDOW : end], minimum=MIN_HOURS_FOR_8H_MEAN, expected=HOURS_PER_8H_WINDOW
        )
        for end in range(HOURS_PER_8H_WINDOW, len(hourly) + 1)
    )


def mda8(
    hourly: Sequence[Number | None],
    *,
    labelling: HourLabel = HourLabel.ENDING,
    limit: Number = MDA8_LIMIT_CLASS_2,
) -> Statistic:
    """O3 daily maximum 8-hour mean (HJ 663 §6.1).

    ``hourly[i]`` covers [i:00, i+1:00) of the day: 24 values with ``HourLabel.ENDING``, 25 (the next
    day's 00–01 hour last) with ``HourLabel.BEGINNING``. The value is the maximum over the valid windows
    among the 17; it is valid with ≥ 14 valid windows or when it exceeds ``limit``.
    """
    shift = 1 if labelling is HourLabel.BEGINNING else 0
    needed = HOURS_PER_DAY + shift
    if len(hourly) != needed:
        raise ValueError(f"{labelling} labelling needs {needed} hourly values, got {len(hourly)}")
    windows = eight_hour_means(hourly)
    daily_windows = [windows[end + shift - HOURS_PER_8H_WINDOW] for end in MDA8_WINDOW_ENDS]
    valid_means = [w.value for w in daily_windows if w.valid and w.value is not None]
    maximum = max(valid_means) if valid_means else None
    enough = len(valid_means) >= MIN_WINDOWS_FOR_MDA8
    exceeds = maximum is not None and maximum > to_decimal(limit)
    return Statistic(maximum, enough or exceeds, len(valid_means), len(MDA8_WINDOW_ENDS))


def annual_completeness(
    days_with_values: Iterable[date], year: int, *, rule: CompletenessRule = ANNUAL_RULE
) -> Completeness:
    """Whether a year has enough valid daily values; days outside ``year`` are ignored."""
    days = {d for d in days_with_values if d.year == year}
    per_month = {month: sum(1 for d in days if d.month == month) for month in range(1, 13)}
    short = tuple(m for m, n in per_month.items() if n < rule.minimum_for_month(m))
    expected = 366 if calendar.isleap(year) else 365
    return Completeness(
        valid=len(days) >= rule.per_year and not short,
        count=len(days),
        expected=expected,
        per_month=MappingProxyType(per_month),
        short_months=short,
    )


def _days_in(daily: Mapping[date, Number | None], year: int, month: int | None = None) -> dict[date, Number]:
    return {d: v for d, v in daily.items() if v is not None and d.year == year and (month is None or d.month == month)}


def monthly_mean(
    daily: Mapping[date, Number | None], year: int, month: int, *, rule: CompletenessRule = ANNUAL_RULE
) -> Statistic:
    """Arithmetic mean of a month's valid daily means; valid with ≥ 27 (February ≥ 25)."""
    values = list(_days_in(daily, year, month).values())
    return _mean_statistic(values, minimum=rule.minimum_for_month(month), expected=calendar.monthrange(year, month)[1])


def annual_mean(daily: Mapping[date, Number | None], year: int, *, rule: CompletenessRule = ANNUAL_RULE) -> Statistic:
    """Arithmetic mean of a year's valid daily means; valid per the annual completeness rule."""
    present = _days_in(daily, year)
    completeness = annual_completeness(present, year, rule=rule)
    statistic = _mean_statistic(list(present.values()), minimum=0, expected=completeness.expected)
    return Statistic(statistic.value, completeness.valid, statistic.count, statistic.expected)


def percentile(values: Iterable[Number], p: Number) -> Decimal:
    """HJ 663 Appendix A percentile: k = 1 + (n−1)·p/100, s = ⌊k⌋, m = x(s) + (x(s+1) − x(s))·(k − s)."""
    ordered = sorted(to_decimal(v) for v in values)
    rank = to_decimal(p)
    if not ordered:
        raise ValueError("percentile of no values")
    if not 0 <= rank <= 100:
        raise ValueError(f"percentile must be within 0..100: {p!r}")
    k = 1 + (len(ordered) - 1) * Fraction(rank) / 100
    s = math.floor(k)
    lower = ordered[s - 1]
    upper = ordered[s] if s < len(ordered) else lower  # k = n only at p = 100, where k − s = 0
    return _as_decimal(Fraction(lower) + Fraction(upper - lower) * (k - s))


def annual_percentile(
    daily: Mapping[date, Number | None], year: int, p: Number, *, rule: CompletenessRule = ANNUAL_RULE
) -> Statistic:
    """An annual percentile of daily values (e.g. PM2.5 95th, O3 MDA8 90th), valid per ``rule``."""
    present = _days_in(daily, year)
    completeness = annual_completeness(present, year, rule=rule)
    value = percentile(present.values(), p) if present else None
    return Statistic(value, completeness.valid, completeness.count, completeness.expected)


def good_day_share(daily_aqi: Iterable[int | None]) -> GoodDayShare:
    """优良天数比例: days with AQI ≤ 100 over days with a published AQI (None = NA, not counted)."""
    published = [a for a in daily_aqi if a is not None]
    good = sum(1 for a in published if a <= GOOD_DAY_MAX_AQI)
    return GoodDayShare(good, len(published), Fraction(good, len(published)) if published else None)


def bad_day_budget(
    *,
    days_in_year: int,
    days_elapsed: int,
    good_days: int,
    valid_days: int,
    target: Fraction | Number = GOOD_DAY_TARGET,
) -> BadDayBudget:
    """How many more non-good days the year can absorb and still reach ``target``.

    Assumes every remaining calendar day will be valid, so the year ends with
    ``valid_days + remaining`` valid days; the budget is the largest b with
    ``(good_days + remaining − b) / (valid_days + remaining) ≥ target`` (36 for a fully valid
    365-day year at 90 %). ``projected_share`` carries on the year-to-date non-good days per calendar
    day over the remaining days.
    """
    if days_in_year not in (365, 366):
        raise ValueError(f"a year has 365 or 366 days, not {days_in_year}")
    if not 0 <= good_days <= valid_days <= days_elapsed <= days_in_year:
        raise ValueError("need 0 ≤ good_days ≤ valid_days ≤ days_elapsed ≤ days_in_year")
    share = target if isinstance(target, Fraction) else Fraction(to_decimal(target))
    if not 0 < share <= 1:
        raise ValueError(f"target share must be within (0, 1]: {target}")
    remaining = days_in_year - days_elapsed
    year_end_valid = valid_days + remaining
    slack = good_days + remaining - share * year_end_valid
    best_case = projected = None
    if year_end_valid:
        best_case = Fraction(good_days + remaining, year_end_valid)
        if days_elapsed:
            projected_bad = Fraction(valid_days - good_days, days_elapsed) * remaining
            projected = (good_days + remaining - projected_bad) / year_end_valid
    return BadDayBudget(
        remaining_days=remaining,
        remaining_bad_days=max(math.floor(slack), 0),
        reachable=year_end_valid > 0 and slack >= 0,
        best_case_share=best_case,
        projected_share=projected,
    )
