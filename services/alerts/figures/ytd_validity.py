"""Validity of a year-to-date annual statistic: GB 3095 Table 4's annual completeness, applied pro rata.

GB 3095 (and HJ 663 for annual percentiles) makes an annual mean or percentile valid with ≥ 324
valid daily values in the year and ≥ 27 in every month (25 in February). A year-to-date figure
cannot meet a full-year count, so we apply the same rule pro rata to the calendar days the period
covers (our rule, not the standard's; docs/alerts.md):

- every month in the period needs ⌈monthly minimum × days of that month covered ÷ days in the month⌉
  valid days: a complete month its full 27 (February 25), the running month its share of them;
- the whole period needs ⌈annual minimum × days covered ÷ days in the year⌉ valid days.

For a complete calendar year both reduce exactly to ``validity.annual_completeness``.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from fractions import Fraction

from services.standards.numbers import ceil_to_int
from services.standards.validity import ANNUAL_RULE, CompletenessRule


@dataclass(frozen=True, slots=True)
class PeriodCompleteness:
    """How many valid daily values a period has against what it needs (OpenAQ-style coverage)."""

    first: date
    last: date
    expected: int  # calendar days in the period
    observed: int  # days with a valid daily value
    required: int  # pro-rata annual minimum
    short_months: tuple[int, ...]  # months below their pro-rata minimum

    @property
    def valid(self) -> bool:
        return self.observed >= self.required and not self.short_months

    @property
    def percent_complete(self) -> Fraction:
        return Fraction(100 * self.observed, self.expected)


def pro_rata(minimum: int, covered: int, length: int) -> int:
    """⌈minimum × covered ÷ length⌉, exactly."""
    return ceil_to_int(Fraction(minimum * covered, length))


def _covered_days(first: date, last: date, month: int) -> int:
    month_first = max(first, date(first.year, month, 1))
    month_last = min(last, date(first.year, month, calendar.monthrange(first.year, month)[1]))
    return (month_last - month_first).days + 1


def period_completeness(
    days_with_values: Iterable[date], first: date, last: date, *, rule: CompletenessRule = ANNUAL_RULE
) -> PeriodCompleteness:
    """Completeness of the valid daily values on ``first``..``last`` (one calendar year); others are ignored."""
    if first > last or first.year != last.year:
        raise ValueError(f"a year-to-date period lies within one calendar year: {first}..{last}")
    days = {d for d in days_with_values if first <= d <= last}
    expected = (last - first).days + 1
    days_in_year = 366 if calendar.isleap(first.year) else 365
    short = tuple(
        month
        for month in range(first.month, last.month + 1)
        if sum(1 for d in days if d.month == month)
        < pro_rata(
            rule.minimum_for_month(month), _covered_days(first, last, month), calendar.monthrange(first.year, month)[1]
        )
    )
    return PeriodCompleteness(first, last, expected, len(days), pro_rata(rule.per_year, expected, days_in_year), short)
