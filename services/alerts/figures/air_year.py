"""Air KPIs from the stored daily figures: good days, the bad-day budget, PM2.5 and O3 against last year.

Figures run to ``as_of``: the last complete local day (yesterday), or the year's last day for a
past year. Rules come from ``services.standards.validity`` (good-day share, bad-day budget,
HJ 663 percentile). The PM2.5 mean and the O3 MDA8 90th percentile of each period carry their
completeness (``ytd_validity``: GB 3095's annual rule pro rata), stored beside the value, so an
invalid figure is shown as such and never compared silently.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from services.alerts.context import Computation
from services.alerts.figures.exact import as_decimal, exact_mean
from services.alerts.figures.publication import publish_rows, published_at
from services.alerts.figures.ytd_validity import PeriodCompleteness, period_completeness
from services.alerts.periods import days_between, same_day_last_year
from services.alerts.tables import air_daily, air_good_days, air_year
from services.standards import validity
from services.standards.local_time import day_end

O3_PERCENTILE = 90


@dataclass(frozen=True, slots=True)
class DayFigures:
    aqi: int | None
    pm25: Decimal | None
    o3_8h: Decimal | None


def good_days(daily: Mapping[date, DayFigures], first: date, last: date) -> validity.GoodDayShare:
    return validity.good_day_share(daily[d].aqi if d in daily else None for d in days_between(first, last))


@dataclass(frozen=True, slots=True)
class AnnualFigure:
    """A year-to-date statistic of daily values with the completeness it rests on."""

    value: Decimal | None
    completeness: PeriodCompleteness


def _o3_p90(values: Sequence[Decimal]) -> Decimal:
    return validity.percentile(values, O3_PERCENTILE)


def annual_figure(
    daily: Mapping[date, DayFigures],
    first: date,
    last: date,
    item: Callable[[DayFigures], Decimal | None],
    statistic: Callable[[Sequence[Decimal]], Decimal],
    rule: validity.CompletenessRule,
) -> AnnualFigure:
    values = {d: v for d in days_between(first, last) if d in daily and (v := item(daily[d])) is not None}
    return AnnualFigure(
        statistic(list(values.values())) if values else None, period_completeness(values, first, last, rule=rule)
    )


def figure_columns(value_column: str, prefix: str, suffix: str, figure: AnnualFigure) -> dict[str, Any]:
    """A figure's value and coverage columns in ``air_year`` (suffix "" or "_last_year")."""
    completeness = figure.completeness
    return {
        f"{value_column}{suffix}": figure.value,
        f"{prefix}_days{suffix}": completeness.observed,
        f"{prefix}_valid{suffix}": completeness.valid,
        f"{prefix}_short_months{suffix}": list(completeness.short_months),
    }


def comparison_columns(
    daily: Mapping[date, DayFigures], first: date, last: date, suffix: str, rule: validity.CompletenessRule
) -> dict[str, Any]:
    """PM2.5 mean and O3 MDA8 90th percentile over first..last, with their coverage."""
    pm25 = annual_figure(daily, first, last, lambda day: day.pm25, exact_mean, rule)
    o3 = annual_figure(daily, first, last, lambda day: day.o3_8h, _o3_p90, rule)
    return {
        f"days_required{suffix}": pm25.completeness.required,
        **figure_columns("pm25_mean", "pm25", suffix, pm25),
        **figure_columns("o3_mda8_p90", "o3", suffix, o3),
    }


def year_row(subject: str, year: int, daily: Mapping[date, DayFigures], job: Computation) -> dict[str, Any] | None:
    first = date(year, 1, 1)
    as_of = min(job.yesterday, date(year, 12, 31))
    if as_of < first:
        return None
    share = good_days(daily, first, as_of)
    days_in_year = 366 if calendar.isleap(year) else 365
    elapsed = (as_of - first).days + 1
    budget = validity.bad_day_budget(
        days_in_year=days_in_year,
        days_elapsed=elapsed,
        good_days=share.good_days,
        valid_days=share.valid_days,
        target=job.good_day_target,
    )
    last_year_first, last_year_as_of = date(year - 1, 1, 1), same_day_last_year(as_of)
    return {
        "subject": subject,
        "year": year,
        "as_of": as_of,
        "days_elapsed": elapsed,
        "good_days": share.good_days,
        "valid_days": share.valid_days,
        "share": as_decimal(share.share),
        "remaining_days": budget.remaining_days,
        "remaining_bad_days": budget.remaining_bad_days,
        "reachable": budget.reachable,
        "best_case_share": as_decimal(budget.best_case_share),
        "projected_share": as_decimal(budget.projected_share),
        **comparison_columns(daily, first, as_of, "", job.completeness_rule),
        "days_elapsed_last_year": (last_year_as_of - last_year_first).days + 1,
        **comparison_columns(daily, last_year_first, last_year_as_of, "_last_year", job.completeness_rule),
        "published_at": published_at(day_end(date(year, 12, 31)), job.now),
    }


def window_rows(subject: str, daily: Mapping[date, DayFigures], job: Computation) -> Iterable[dict[str, Any]]:
    as_of = job.yesterday
    windows = {
        "month": as_of.replace(day=1),
        "ytd": as_of.replace(month=1, day=1),
        "last365": as_of - timedelta(days=364),
    }
    for name, first in windows.items():
        share = good_days(daily, first, as_of)
        # Windows roll forward every day, so they are never "published" figures.
        yield {
            "subject": subject,
            "window_name": name,
            "as_of": as_of,
            "first_day": first,
            "good_days": share.good_days,
            "valid_days": share.valid_days,
            "share": as_decimal(share.share),
            "published_at": None,
        }


def _load_daily(job: Computation, first: date) -> dict[str, dict[date, DayFigures]]:
    rows = job.connection.execute(
        select(air_daily.c.subject, air_daily.c.day, air_daily.c.aqi, air_daily.c.pm25, air_daily.c.o3_8h).where(
            air_daily.c.day >= first
        )
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
