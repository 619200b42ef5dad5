"""The alert state machine: hysteresis, minimum duration, resolution, held states."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.alerts.rules.definitions import Direction, Rule, Severity
from services.alerts.rules.lifecycle import AlertState, State, close, fingerprint, step

START = datetime(2026, 11, 27, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
AQI_RULE = Rule("aqi", "air.daily_aqi", Direction.ABOVE, Decimal(100), Decimal(90), Severity.WARNING)
SHARE_RULE = Rule(
    "share",
    "air.good_day_share_ytd",
    Direction.BELOW,
    Decimal("0.9"),
    Decimal("0.92"),
    Severity.CRITICAL,
    for_duration=timedelta(minutes=10),
)


def run(rule: Rule, values: list[int | str | None]) -> list[State | None]:
    state: AlertState | None = None
    states = []
    for i, value in enumerate(values):
        state = step(rule, state, None if value is None else Decimal(value), START + i * MINUTE)
        states.append(None if state is None else state.state)
    return states


F, P, R = State.FIRING, State.PENDING, State.RESOLVED


@pytest.mark.parametrize(
    ("rule", "values", "expected"),
    [
        # Oscillating around 100 between exit 90 and enter 100: fires once, never flaps.
        (AQI_RULE, [99, 101, 99, 101, 95, 100, 91], [None, F, F, F, F, F, F]),
        (AQI_RULE, [101, 90, 101], [F, R, F]),  # exit is inclusive (≤ 90), re-entry starts a new episode
        (AQI_RULE, [100, 100], [None, None]),  # enter is strict (> 100)
        (AQI_RULE, [101, None, None, 80], [F, F, F, R]),  # no value: the state is held
        # Minimum duration 10 minutes: pending until held that long; hysteresis band keeps it pending.
        (SHARE_RULE, ["0.85"] * 10 + ["0.85"], [P] * 10 + [F]),
        (SHARE_RULE, ["0.85", "0.91", "0.93"], [P, P, None]),  # pending cleared: gone, never fired
        # fired, resolved, re-entered and cleared while pending: back to the fired episode, resolved
        (SHARE_RULE, ["0.85"] * 11 + ["0.95", "0.85", "0.95"], [P] * 10 + [F, R, P, R]),
        (SHARE_RULE, ["0.95", "0.91"], [None, None]),
    ],
)
def test_transitions(rule: Rule, values: list[int | str | None], expected: list[State | None]) -> None:
    assert run(rule, values) == expected


@given(st.lists(st.integers(min_value=91, max_value=109), min_size=1, max_size=50))
def test_values_inside_the_band_never_resolve_a_firing_alert(values: list[int]) -> None:
    states = run(AQI_RULE, [101, *values])
    assert states[0] is F and set(states) == {F}


def test_firing_keeps_its_start_and_resolution_records_the_time() -> None:
    fired = step(AQI_RULE, None, Decimal(150), START)
    assert fired is not None
    still = step(AQI_RULE, fired, Decimal(120), START + MINUTE)
    resolved = step(AQI_RULE, still, Decimal(50), START + 2 * MINUTE)
    assert still is not None and resolved is not None
    assert (still.fired_at, still.value) == (START, Decimal(120))
    assert (resolved.state, resolved.fired_at, resolved.resolved_at) == (R, START, START + 2 * MINUTE)


def test_closing_resolves_a_firing_alert_and_forgets_a_pending_one() -> None:
    pending = step(SHARE_RULE, None, Decimal("0.85"), START)
    fired = step(AQI_RULE, None, Decimal(150), START)
    assert pending is not None and fired is not None
    assert close(pending, START + MINUTE) is None
    closed = close(fired, START + MINUTE)
    assert closed is not None and (closed.state, closed.resolved_at) == (R, START + MINUTE)


def test_a_rule_whose_exit_is_past_its_enter_is_refused() -> None:
    with pytest.raises(ValueError, match="exit 110 must not be past enter 100"):
        Rule("bad", "air.daily_aqi", Direction.ABOVE, Decimal(100), Decimal(110), Severity.WARNING)


def test_fingerprints_are_stable_and_distinct() -> None:
    assert fingerprint("aqi", "AIR-KEQIAO", "2026-12-02") == fingerprint("aqi", "AIR-KEQIAO", "2026-12-02")
    assert fingerprint("aqi", "AIR-KEQIAO", "2026-12-02") != fingerprint("aqi", "AIR-SHANGYU", "2026-12-02")
    assert fingerprint("aqi", "AIR-KEQIAO", "2026-12-02") != fingerprint("aqi", "AIR-KEQIAO", "2026-12-03")
