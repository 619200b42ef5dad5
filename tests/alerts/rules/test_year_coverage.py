"""The city's year-to-date air targets are judged only on a year with GB 3095's annual minimum of valid days pro
rata (``air_year.days_required``), like the PM2.5 and O3 comparisons: on fewer days (a stack just started, a
backlog still being stored) the share and the bad-day budget rest on whichever days happen to be in."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, text

from services.alerts.rules.definitions import load_rules
from services.alerts.rules.lifecycle import State
from services.alerts.settings import BUILT_IN_RULES
from tests.support.alert_rules import evaluate_once
from tests.support.alerts import CITY, job

pytestmark = pytest.mark.integration

NOW = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)  # 10:00 on 3 December, Beijing time
RULES = [r for r in load_rules(BUILT_IN_RULES).rules if r.name in ("air_good_day_share_target", "bad_day_budget_low")]
# As of 2 December (336 days elapsed) 324 valid days a year pro rata, rounded up, is 299.
REQUIRED = 299


@pytest.mark.parametrize(("valid_days", "fires"), [(259, False), (REQUIRED - 1, False), (REQUIRED, True), (336, True)])
def test_the_year_is_judged_from_the_pro_rata_annual_minimum_of_valid_days(
    alerts_db: Engine, valid_days: int, fires: bool
) -> None:
    # 40 non-good days: the share is below 90 % on every row (296/336 = 88.1 %); the stored budget is 5 days.
    good = valid_days - 40
    with alerts_db.begin() as connection:
        connection.execute(
            text(
                "insert into air_year (subject, year, as_of, days_elapsed, good_days, valid_days, share, "
                "remaining_days, remaining_bad_days, reachable, days_required) "
                "values (:c, 2026, '2026-12-02', 336, :good, :valid, :share, 29, 5, true, :required)"
            ),
            {"c": CITY, "good": good, "valid": valid_days, "share": good / valid_days, "required": REQUIRED},
        )
        transitions = evaluate_once(connection, RULES, job(connection, NOW))
    fired = sorted(t.rule for t in transitions if t.to_state is State.FIRING)
    assert fired == (["air_good_day_share_target", "bad_day_budget_low"] if fires else [])
