"""API view of air_year's year-to-date figures with their coverage (OpenAQ style), and their comparison.

Each figure (this year, and the same days of last year) is shown with its period, how many daily
values were expected (calendar days), observed (valid days) and required (pro-rata annual rule,
``ytd_validity``), the percent complete and the months short of their minimum. The change against
last year is given only when both figures are valid; otherwise ``change`` is null and
``comparable`` false, so an invalid figure is never compared silently.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from services.alerts.periods import same_day_last_year
from services.alerts.tables import COMPARISON_FIGURES, COMPARISON_PERIODS, air_year
from services.standards.numbers import round_half_even

# column holding each figure's value in air_year
VALUE_COLUMNS = {"pm25": "pm25_mean", "o3": "o3_mda8_p90"}
PERCENT_PLACES = 1
PERIOD_NAMES = {"": "this_year", "_last_year": "last_year"}
# air_year columns that ``comparisons`` restructures (days_elapsed stays: it is also the good-day figures' span)
COMPARISON_COLUMNS = frozenset(
    c.name
    for c in air_year.columns
    if c.name.startswith(("pm25_", "o3_", "days_required")) or c.name == "days_elapsed_last_year"
)


def _period(row: dict[str, Any], suffix: str) -> tuple[str, str]:
    as_of = date.fromisoformat(row["as_of"])
    last = same_day_last_year(as_of) if suffix else as_of
    return last.replace(month=1, day=1).isoformat(), last.isoformat()


def _figure(row: dict[str, Any], figure: str, suffix: str) -> dict[str, Any]:
    expected, observed = row[f"days_elapsed{suffix}"], row[f"{figure}_days{suffix}"]
    first, last = _period(row, suffix)
    percent = (
        None
        if observed is None or not expected
        else str(round_half_even(Decimal(100 * observed) / expected, PERCENT_PLACES))
    )
    return {
        "value": row[f"{VALUE_COLUMNS[figure]}{suffix}"],
        "valid": bool(row[f"{figure}_valid{suffix}"]),
        "period": {"from": first, "to": last},
        "coverage": {
            "expected": expected,
            "observed": observed,
            "required": row[f"days_required{suffix}"],
            "percent_complete": percent,
            "short_months": row[f"{figure}_short_months{suffix}"],
        },
    }


def comparisons(row: dict[str, Any]) -> dict[str, Any]:
    """``{"pm25": {...}, "o3": {...}}`` built from an air_year row as returned by ``queries.fetch``."""
    result = {}
    for figure in COMPARISON_FIGURES:
        periods = {PERIOD_NAMES[suffix]: _figure(row, figure, suffix) for suffix in COMPARISON_PERIODS}
        comparable = all(p["valid"] for p in periods.values())
        change = Decimal(periods["this_year"]["value"]) - Decimal(periods["last_year"]["value"]) if comparable else None
        result[figure] = {**periods, "comparable": comparable, "change": None if change is None else str(change)}
    return result


def without_comparison_columns(row: dict[str, Any]) -> dict[str, Any]:
    """The air_year row minus the columns ``comparisons`` restructures."""
    return {key: value for key, value in row.items() if key not in COMPARISON_COLUMNS}
