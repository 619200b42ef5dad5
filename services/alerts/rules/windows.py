"""The periods alert rules evaluate, and how an alert names its period.

Every alert carries a period (Alertmanager labels ``period`` and ``period_kind``):

- ``year``: the calendar year, year to date (``2026``);
- ``month``: the running month to date and the last complete month (``2026-12``, ``2026-11``), so a
  month's published figure stays on the list while its monthly report is due;
- ``day``: the last complete local day (``2026-12-02``);
- ``current``: a status as of now (a silent station, recent flags, an episode, a forecast).

A period that is no longer evaluated (last year's figure, last month once another month has passed,
the day before yesterday) resolves its alerts (``lifecycle.close``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from services.standards.local_time import BEIJING_TIME

CURRENT = "current"
# The time range a board shows for a status: the last day.
CURRENT_SPAN = timedelta(days=1)


class PeriodKind(StrEnum):
    YEAR = "year"
    MONTH = "month"
    DAY = "day"
    CURRENT = "current"


@dataclass(frozen=True, slots=True)
class RulePeriod:
    kind: PeriodKind
    key: str
    first_day: date | None = None  # None for ``current``
    last_day: date | None = None


def _month(year: int, month: int) -> RulePeriod:
    first = date(year, month, 1)
    following = date(year + month // 12, month % 12 + 1, 1)
    return RulePeriod(PeriodKind.MONTH, f"{year}-{month:02d}", first, following - timedelta(days=1))


def evaluated(kind: PeriodKind, today: date) -> tuple[RulePeriod, ...]:
    """The periods a rule of ``kind`` evaluates on local day ``today``."""
    if kind is PeriodKind.YEAR:
        return (RulePeriod(kind, str(today.year), date(today.year, 1, 1), date(today.year, 12, 31)),)
    if kind is PeriodKind.MONTH:
        last_month = today.replace(day=1) - timedelta(days=1)
        return _month(today.year, today.month), _month(last_month.year, last_month.month)
    if kind is PeriodKind.DAY:
        yesterday = today - timedelta(days=1)
        return (RulePeriod(kind, yesterday.isoformat(), yesterday, yesterday),)
    return (RulePeriod(kind, CURRENT),)


def _md(day: date) -> str:
    return f"{day.month}月{day.day}日"


def label(period: RulePeriod, now: datetime, as_of: date | None = None) -> str:
    """The period in words, saying how far a running one goes: 2026年(1月1日—12月2日), 2026年12月(1—3日).

    ``as_of`` is the last day the figure includes (its row's ``as_of``); today when not given."""
    local = now.astimezone(BEIJING_TIME)
    if period.first_day is None or period.last_day is None:
        return f"截至 {local:%Y-%m-%d %H:%M}"
    if period.kind is PeriodKind.DAY:
        return f"{period.first_day.year}年{_md(period.first_day)}"
    through = as_of or local.date()
    running = through < period.last_day
    if period.kind is PeriodKind.YEAR:
        return f"{period.key}年({_md(period.first_day)}—{_md(through)})" if running else f"{period.key}年"
    name = f"{period.first_day.year}年{period.first_day.month}月"
    return f"{name}(1—{through.day}日)" if running else name


def time_range(period: RulePeriod, now: datetime) -> tuple[datetime, datetime]:
    """What a board should show for the period: its days (up to now), or the last day for a status."""
    if period.first_day is None or period.last_day is None:
        return now - CURRENT_SPAN, now
    start = datetime.combine(period.first_day, datetime.min.time(), BEIJING_TIME)
    end = datetime.combine(period.last_day + timedelta(days=1), datetime.min.time(), BEIJING_TIME)
    return start, min(end, now)
