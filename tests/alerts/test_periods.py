"""Periods and day chunks."""

from __future__ import annotations

from datetime import date

import pytest

from services.alerts.periods import CalendarPeriod, chunks, same_day_last_year


@pytest.mark.parametrize(
    ("text", "period", "first", "last"),
    [
        ("2026-10", CalendarPeriod(2026, 10), date(2026, 10, 1), date(2026, 10, 31)),
        ("2026", CalendarPeriod(2026), date(2026, 1, 1), date(2026, 12, 31)),
        ("2028-02", CalendarPeriod(2028, 2), date(2028, 2, 1), date(2028, 2, 29)),
    ],
)
def test_periods_parse(text: str, period: CalendarPeriod, first: date, last: date) -> None:
    parsed = CalendarPeriod.parse(text)
    assert (parsed, parsed.first_day, parsed.last_day, parsed.key) == (period, first, last, text)


@pytest.mark.parametrize("text", ["2026-13", "2026-00", "26", "2026-1", "abc", "2026-10-01", "0999"])
def test_bad_periods_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="period"):
        CalendarPeriod.parse(text)


def test_chunks_split_runs_of_days() -> None:
    days = [date(2026, 1, d) for d in (1, 2, 3, 5)] + [date(2026, 2, 1)]
    assert chunks(days, max_days=2) == [
        (date(2026, 1, 1), date(2026, 1, 2)),
        (date(2026, 1, 3), date(2026, 1, 3)),
        (date(2026, 1, 5), date(2026, 1, 5)),
        (date(2026, 2, 1), date(2026, 2, 1)),
    ]


def test_leap_day_maps_to_28_february() -> None:
    assert same_day_last_year(date(2028, 2, 29)) == date(2027, 2, 28)
