"""Calendar periods in Beijing time: days, months (``2026-10``) and years (``2026``)."""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta

# Consecutive days are derived from their readings in chunks of at most this many, bounding each statement's
# sort of the readings; the figures, computed set-based from what was derived, go by up to a year at once
# (fewer, larger statements are faster, and Python holds only a row per subject and day).
MAX_DAYS_PER_CHUNK = 31
MAX_DAYS_PER_FIGURES_CHUNK = 366

# ASCII digits only: ``\d`` would accept any Unicode digit (``٢٠٢٦-١١``).
_PERIOD = re.compile(r"(?P<year>[0-9]{4})(?:-(?P<month>[0-9]{2}))?")
FIRST_YEAR, LAST_YEAR = 1900, 2999


@dataclass(frozen=True, slots=True)
class CalendarPeriod:
    """A calendar month, or a calendar year (whose figures are year-to-date until it ends)."""

    year: int
    month: int | None = None

    @classmethod
    def parse(cls, value: str) -> CalendarPeriod:
        match = _PERIOD.fullmatch(value.strip())
        if match is None:
            raise ValueError(f"period {value!r} must be a year (2026) or a month (2026-10)")
        year, month = int(match["year"]), match["month"]
        if not FIRST_YEAR <= year <= LAST_YEAR:
            raise ValueError(f"period {value!r}: year {year} is out of range")
        if month is not None and not 1 <= int(month) <= 12:
            raise ValueError(f"period {value!r}: month {month} must be 01..12")
        return cls(year, None if month is None else int(month))

    @property
    def key(self) -> str:
        return f"{self.year}" if self.month is None else f"{self.year}-{self.month:02d}"

    @property
    def first_day(self) -> date:
        return date(self.year, self.month or 1, 1)

    @property
    def last_day(self) -> date:
        if self.month is None:
            return date(self.year, 12, 31)
        return date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    def through(self, as_of: date) -> date:
        """The last day with figures: the period's end, or ``as_of`` while the period runs."""
        return min(self.last_day, as_of)


def chunks(days: Iterable[date], max_days: int = MAX_DAYS_PER_CHUNK) -> list[tuple[date, date]]:
    """Inclusive ranges of consecutive days, each at most ``max_days`` long."""
    ranges: list[tuple[date, date]] = []
    for day in sorted(set(days)):
        if ranges and day == ranges[-1][1] + timedelta(days=1) and (day - ranges[-1][0]).days < max_days:
            ranges[-1] = (ranges[-1][0], day)
        else:
            ranges.append((day, day))
    return ranges


def days_between(first: date, last: date) -> Iterator[date]:
    """Every day first..last, both included."""
    for offset in range((last - first).days + 1):
        yield first + timedelta(days=offset)


def same_day_last_year(day: date) -> date:
    """The same calendar day a year earlier; 29 February maps to 28 February."""
    return day.replace(year=day.year - 1, day=28) if (day.month, day.day) == (2, 29) else day.replace(year=day.year - 1)


def months_of(days: Iterable[date]) -> set[CalendarPeriod]:
    return {CalendarPeriod(d.year, d.month) for d in days}
