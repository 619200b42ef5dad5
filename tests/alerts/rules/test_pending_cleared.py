"""An alert that clears while pending (held by its rule's minimum duration) never reached Alertmanager, so
like Prometheus it leaves no trace: no state row a user would read as "resolved", no history, nothing sent.
A re-entered alert that clears while pending falls back to its last fired episode, still resolved."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Connection, Engine, text

from services.alerts.rules.definitions import load_rules
from services.alerts.settings import BUILT_IN_RULES
from tests.support.alert_rules import evaluate_once
from tests.support.alerts import CITY, job

pytestmark = pytest.mark.integration

NOW = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)  # 10:00 on 3 December, Beijing time
HOLD = timedelta(minutes=10)
SHARE_RULE = replace(
    next(r for r in load_rules(BUILT_IN_RULES).rules if r.name == "air_good_day_share_target"), for_duration=HOLD
)
VALID_DAYS = 336


def set_good_days(connection: Connection, good: int) -> None:
    """The city's year to date as of 2 December: ``good`` of 336 valid days (90 % is 302.4)."""
    connection.execute(text("delete from air_year"))
    connection.execute(
        text(
            "insert into air_year (subject, year, as_of, days_elapsed, good_days, valid_days, share, "
            "remaining_days, remaining_bad_days, reachable, days_required) "
            "values (:c, 2026, '2026-12-02', 336, :good, :valid, :share, 29, 5, true, 299)"
        ),
        {"c": CITY, "good": good, "valid": VALID_DAYS, "share": good / VALID_DAYS},
    )


def alert_rows(connection: Connection) -> list[tuple[str, bool, bool]]:
    """(state, has fired_at, has resolved_at) of every stored alert."""
    rows = connection.execute(text("select state, fired_at is not null, resolved_at is not null from alert_states"))
    return [(state, fired, resolved) for state, fired, resolved in rows]


def counts(connection: Connection) -> tuple[int, int]:
    history = connection.execute(text("select count(*) from alert_history")).scalar_one()
    outbox = connection.execute(text("select count(*) from alert_outbox")).scalar_one()
    return history, outbox


def test_an_alert_cleared_while_pending_is_gone(alerts_db: Engine) -> None:
    with alerts_db.begin() as connection:
        set_good_days(connection, 290)
        evaluate_once(connection, [SHARE_RULE], job(connection, NOW))
        pending = alert_rows(connection)
        set_good_days(connection, 310)
        transitions = evaluate_once(connection, [SHARE_RULE], job(connection, NOW + HOLD / 2))
        assert pending == [("pending", False, False)]
        assert transitions == []
        assert alert_rows(connection) == []
        assert counts(connection) == (0, 0)


def test_a_re_entered_alert_cleared_while_pending_keeps_its_fired_episode(alerts_db: Engine) -> None:
    with alerts_db.begin() as connection:
        for minutes, good in [(0, 290), (10, 290), (11, 310), (12, 290), (13, 310)]:
            set_good_days(connection, good)
            evaluate_once(connection, [SHARE_RULE], job(connection, NOW + timedelta(minutes=minutes)))
            if minutes == 12:
                re_entered = alert_rows(connection)
        fired_episode = connection.execute(text("select state, fired_at, resolved_at from alert_states")).one()
        history, outbox = counts(connection)
    assert re_entered == [("pending", True, True)]
    assert tuple(fired_episode) == ("resolved", NOW + HOLD, NOW + timedelta(minutes=11))
    assert outbox == 2  # the firing and its resolution; nothing for the pending that cleared
    assert history == 5  # pending, firing, resolved, pending again, back to resolved
