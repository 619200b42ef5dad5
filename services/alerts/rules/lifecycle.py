"""The alert state machine, pure: pending → firing → resolved, with hysteresis and a minimum duration.

- Nothing or resolved: the value enters (past ``enter``) → pending; firing at once when the rule
  has no minimum duration.
- Pending: the value leaves (past ``exit``) → gone, as in Prometheus: an alert that never fired was
  never sent, so there is nothing to resolve (a re-entered alert falls back to its last fired
  episode, still resolved); held for ``for_duration`` → firing. Between exit and enter it stays
  pending (hysteresis).
- Firing: only a value past ``exit`` resolves it, so a value oscillating between exit and enter
  cannot flap.
- No value this cycle (subject without data): the state is held; a missing figure is no evidence.
- The period is no longer evaluated (last month once a new month has begun, yesterday's AQI the next
  day): ``close`` resolves a firing alert, since nothing can change its value any more, and drops a
  pending one like a cleared one.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from services.alerts.rules.definitions import Rule


class State(StrEnum):
    PENDING = "pending"
    FIRING = "firing"
    RESOLVED = "resolved"


@dataclass(frozen=True, slots=True)
class AlertState:
    state: State
    value: Decimal | None
    pending_since: datetime | None = None
    # the last fired episode's times; a re-entered alert keeps them while pending (until it fires again)
    fired_at: datetime | None = None
    resolved_at: datetime | None = None


def fingerprint(rule_name: str, subject: str, period: str) -> str:
    """The identity of one alert: a rule, a subject and a period (``2026``, ``2026-11``, ``current``)."""
    return hashlib.sha256(f"{rule_name}\0{subject}\0{period}".encode()).hexdigest()[:32]


def step(rule: Rule, previous: AlertState | None, value: Decimal | None, now: datetime) -> AlertState | None:
    """The next state; None while a subject has no alert (never entered, or cleared while pending)."""
    if value is None:
        return previous
    if previous is None or previous.state is State.RESOLVED:
        if not rule.entered(value):
            return None if previous is None else replace(previous, value=value)
        pending = (
            AlertState(State.PENDING, value, pending_since=now)
            if previous is None
            else replace(previous, state=State.PENDING, value=value, pending_since=now)
        )
        return _fire(pending, now) if rule.for_duration.total_seconds() == 0 else pending
    if rule.exited(value):
        if previous.state is State.PENDING:
            return _forget_pending(replace(previous, value=value))
        return replace(previous, state=State.RESOLVED, value=value, resolved_at=now)
    current = replace(previous, value=value)
    if (
        current.state is State.PENDING
        and current.pending_since is not None
        and now - current.pending_since >= rule.for_duration
    ):
        return _fire(current, now)
    return current


def close(previous: AlertState, now: datetime) -> AlertState | None:
    """An alert whose period is no longer evaluated: resolved when firing, with its last value; a pending
    one is forgotten as if cleared."""
    if previous.state is State.PENDING:
        return _forget_pending(previous)
    if previous.state is State.RESOLVED:
        return previous
    return replace(previous, state=State.RESOLVED, resolved_at=now)


def _forget_pending(pending: AlertState) -> AlertState | None:
    """A pending alert that will not fire: no alert at all, or its last fired episode, still resolved."""
    if pending.fired_at is None:
        return None
    return replace(pending, state=State.RESOLVED, pending_since=None)


def _fire(state: AlertState, now: datetime) -> AlertState:
    return replace(state, state=State.FIRING, fired_at=now, resolved_at=None)
