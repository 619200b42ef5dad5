"""Air KPIs from the stored daily figures: good days, the bad-day budget, PM2.5 and O3 against last year.

Figures run to ``as_of``: the last complete local day (yesterday), or the year's last day for a
past year. Rules come from ``services.standards.validity`` (good-day share, bad-day budget,
HJ 663 percentile).
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from services.alerts.context import Computation
from services.alerts.exact import as_decimal, exact_mean
from services.alerts.periods import day_end, same_day_last_year
from services.alerts.publication import publish_rows, published_at
from services.alerts.tables import air_daily, air_good_days, air_year
from services.standards import validity

O3_PERCENTILE = 90


@dataclass(frozen=True, slots=True)
class DayFigures:
    aqi: int | None
    pm25: Decimal | None
    o3_8h: Decimal | None


def _days(first: date, last: date) -> Iterable[date]:
    return (first + timedelta(days=i) for i in range((last - first).days + 1))


def good_days(daily: Mapping[date, DayFigures], first: date, last: date) -> validity.GoodDayShare:
    return validity.good_day_share(daily[d].aqi if d in daily else None for d in _days(first, last))


def _mean(values: Sequence[Decimal]) -> Decimal | None:
    return exact_mean(values) if values else None


def _pm25_mean(daily: Mapping[date, DayFigures], first: date, last: date) -> Decimal | None:
    return _mean([v for d in _days(first, last) if d in daily and (v := daily[d].pm25) is not None])


def _o3_p90(daily: Mapping[date, DayFigures], first: date, last: date) -> Decimal | None:
    values = [v for d in _days(first, last) if d in daily and (v := daily[d].o3_8h) is not None]
    return validity.percentile(values, O3_PERCENTILE) if values else None


def year_row(subject: str, year: int, daily: Mapping[date, DayFigures], job: Computation) -> dict[str, Any] | None:
    first = date(year, 1, 1)
    as_of = min(job.yesterday, date(year, 12, 31))
    if as_of < first:
        return None
    share = good_days(daily, first, as_of)
    days_in_year = 366 if calendar.isleap(year) else 365
    elapsed = (as_of - first).days + 1
    budget = validity.bad_day_budget(days_in_year=days_in_year, days_elapsed=elapsed,
                                     good_days=share.good_days, valid_days=share.valid_days)
    last_year_first, last_year_as_of = date(year - 1, 1, 1), same_day_last_year(as_of)
    return {
        "subject": subject, "year": year, "as_of": as_of, "days_elapsed": elapsed,
        "good_days": share.good_days, "valid_days": share.valid_days, "share": as_decimal(share.share),
        "remaining_days": budget.remaining_days, "remaining_bad_days": budget.remaining_bad_days,
        "reachable": budget.reachable, "best_case_share": as_decimal(budget.best_case_share),
        "projected_share": as_decimal(budget.projected_share),
        "pm25_mean": _pm25_mean(daily, first, as_of),
        "pm25_mean_last_year": _pm25_mean(daily, last_year_first, last_year_as_of),
        "o3_mda8_p90": _o3_p90(daily, first, as_of),
        "o3_mda8_p90_last_year": _o3_p90(daily, last_year_first, last_year_as_of),
        "published_at": published_at(day_end(date(year, 12, 31), job.zone), job.now),
    }


def window_rows(subject: str, daily: Mapping[date, DayFigures], job: Computation) -> Iterable[dict[str, Any]]:
    as_of = job.yesterday
    windows = {"month": as_of.replace(day=1), "ytd": as_of.replace(month=1, day=1),
               "last365": as_of - timedelta(days=364)}
    for name, first in windows.items():
        share = good_days(daily, first, as_of)
        # Windows roll forward every day, so they are never "published" figures.
        yield {"subject": subject, "window_name": name, "as_of": as_of, "first_day": first,
               "good_days": share.good_days, "valid_days": share.valid_days, "share": as_decimal(share.share),
               "published_at": None}


def _load_daily(job: Computation, first: date) -> dict[str, dict[date, DayFigures]]:
    rows = job.connection.execute(
        select(air_daily.c.subject, air_daily.c.day, air_daily.c.aqi, air_daily.c.pm25, air_daily.c.o3_8h)
        .where(air_daily.c.day >= first)
    )
    result: dict[str, dict[date, DayFigures]] = {}
    for subject, day, aqi_value, pm25, o3_8h in rows:
        result.setdefault(subject, {})[day] = DayFigures(aqi_value, pm25, o3_8h)
    return result


def compute_air_kpis(job: Computation, years: Iterable[int]) -> int:
    years = sorted(set(years) | {job.yesterday.year})
    daily = _load_daily(job, min(date(years[0] - 1, 1, 1), job.yesterday - timedelta(days=364)))
    subjects = [*job.registry.air_stations, job.registry.city]
    year_rows = [row for s in subjects for y in years if (row := year_row(s, y, daily.get(s, {}), job))]
    windows = [row for s in subjects for row in window_rows(s, daily.get(s, {}), job)]
    return publish_rows(job.connection, air_year, year_rows) + publish_rows(job.connection, air_good_days, windows)
