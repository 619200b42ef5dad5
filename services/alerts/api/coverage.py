"""API view of air_year's year-to-date figures with their coverage (OpenAQ style), and their comparison.

Each figure (this year, and the same days of last year) is shown with its period, how many daily
values were expected (calendar days), observed (valid days) and required (pro-rata annual rule,
``ytd_validity``), the percent complete and the months short of their minimum. The change against
last year is given only when both figures are valid; otherwise ``change`` is null and
``comparable`` false, so an invalid figure is never compared silently.
"""

from __future__ import annotations

from typing import Any

from services.alerts.api.models import Comparison, Coverage, FigurePeriod, YearFigure
from services.alerts.api.presentation import Publisher
from services.alerts.periods import same_day_last_year
from services.alerts.tables import COMPARISON_FIGURES, COMPARISON_PERIODS, air_year

# column holding each figure's value in air_year, and the pollutant whose precision it is published at
VALUE_COLUMNS = {"pm25": "pm25_mean", "o3": "o3_mda8_p90"}
PERIOD_NAMES = {"": "this_year", "_last_year": "last_year"}
# air_year columns that ``comparisons`` restructures (days_elapsed stays: it is also the good-day figures' span)
COMPARISON_COLUMNS = frozenset(
    c.name
    for c in air_year.columns
    if c.name.startswith(("pm25_", "o3_", "days_required")) or c.name == "days_elapsed_last_year"
)


def _period(row: dict[str, Any], suffix: str) -> FigurePeriod:
    last = same_day_last_year(row["as_of"]) if suffix else row["as_of"]
    return FigurePeriod(first=last.replace(month=1, day=1), to=last)


def _figure(row: dict[str, Any], figure: str, suffix: str, publish: Publisher) -> YearFigure:
    expected, observed = row[f"days_elapsed{suffix}"], row[f"{figure}_days{suffix}"]
    return YearFigure(
        value=publish.concentration(figure, row[f"{VALUE_COLUMNS[figure]}{suffix}"]),
        valid=bool(row[f"{figure}_valid{suffix}"]),
        period=_period(row, suffix),
        coverage=Coverage(
            expected=expected,
            observed=observed,
            required=row[f"days_required{suffix}"],
            percent_complete=None if observed is None or not expected else publish.count_percent(observed, expected),
            short_months=row[f"{figure}_short_months{suffix}"],
        ),
    )


def comparisons(row: dict[str, Any], publish: Publisher) -> dict[str, Comparison]:
    """``{"pm25": …, "o3": …}`` from an air_year row; the change is rounded once, from the exact figures."""
    result = {}
    for figure in COMPARISON_FIGURES:
        periods = {PERIOD_NAMES[suffix]: _figure(row, figure, suffix, publish) for suffix in COMPARISON_PERIODS}
        comparable = all(p.valid for p in periods.values())
        exact = [row[f"{VALUE_COLUMNS[figure]}{suffix}"] for suffix in COMPARISON_PERIODS]
        change = exact[0] - exact[1] if comparable and None not in exact else None
        result[figure] = Comparison(**periods, comparable=comparable, change=publish.concentration(figure, change))
    return result
