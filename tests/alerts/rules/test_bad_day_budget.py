"""The bad-day budget is judged only on a year to date with its pro-rata minimum of valid days: missing days
would otherwise count as room the year no longer has, and a stack just started would read "budget low"."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import Engine

from services.alerts.figures.recompute import recompute_days
from tests.support.alert_rules import metric_values
from tests.support.alerts import air_day, copy_readings, job, local

pytestmark = pytest.mark.integration

NOW = local(date(2026, 1, 15), 10)
DAYS = [date(2026, 1, 1) + timedelta(days=n) for n in range(14)]


@pytest.mark.parametrize(
    ("days_with_data", "budget"),
    [
        ([], None),  # nothing yet: no figure, no alert
        (DAYS[:5], None),  # 5 of 14 days: too few to judge the year by
        # 14 valid days, 7 of them non-good; 0.9 × 365 = 328.5 of the year must be good: ⌊365 − 7 − 328.5⌋ = 29
        (DAYS, 29),
    ],
)
def test_the_budget_waits_for_enough_valid_days(
    alerts_db: Engine, days_with_data: list[date], budget: int | None
) -> None:
    with alerts_db.begin() as connection:
        for n, day in enumerate(days_with_data):
            copy_readings(connection, air_day(day, pm25=200 if n % 2 else 30))
        computation = job(connection, NOW)
        recompute_days(computation, DAYS)
        values = metric_values(connection, computation, ["air.remaining_bad_days"])["air.remaining_bad_days"]
    assert values == ({} if budget is None else {"绍兴市": budget})
