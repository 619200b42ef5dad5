"""Alert states in the database: evaluate rules against metric values, keep history, fill the outbox.

One row per (rule, subject) fingerprint in ``alert_states``; every transition and acknowledgement
is appended to ``alert_history``; every firing or resolution is queued in ``alert_outbox`` in the
same transaction, so delivery to Alertmanager can be retried without losing anything.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.dialects.postgresql import insert

from services.alerts.rules.definitions import Rule
from services.alerts.rules.lifecycle import AlertState, State, fingerprint, step
from services.alerts.tables import alert_history, alert_outbox, alert_states


@dataclass(frozen=True, slots=True)
class Transition:
    fingerprint: str
    rule: str
    subject: str
    from_state: State | None
    to_state: State


def alert_labels(rule: Rule, subject: str) -> dict[str, str]:
    """Alertmanager identity: the rule's labels plus alertname, subject and severity."""
    return {**rule.labels, "alertname": rule.name, "subject": subject, "severity": rule.severity.value}


def alertmanager_payload(row: Mapping[Any, Any], generator_url: str) -> dict[str, Any]:
    """The v2 API alert for a state row; a resolved alert carries endsAt = its resolution time."""
    payload: dict[str, Any] = {
        "labels": dict(row["labels"]),
        "annotations": {**row["annotations"], "value": "" if row["value"] is None else str(row["value"])},
        "startsAt": row["fired_at"].isoformat(),
        "generatorURL": f"{generator_url}/v1/alerts/{row['fingerprint']}",
    }
    if row["state"] == State.RESOLVED:
        payload["endsAt"] = row["resolved_at"].isoformat()
    return payload


def _as_state(row: Mapping[Any, Any]) -> AlertState:
    return AlertState(State(row["state"]), row["value"], row["pending_since"], row["fired_at"], row["resolved_at"])


def evaluate(
    connection: Connection,
    rules: Iterable[Rule],
    values: Mapping[str, Mapping[str, Decimal]],
    now: datetime,
    generator_url: str,
) -> list[Transition]:
    """Step every (rule, subject) once; returns the state transitions made."""
    existing = {row["fingerprint"]: row for row in connection.execute(select(alert_states)).mappings()}
    transitions = []
    for rule in rules:
        metric = values.get(rule.metric, {})
        held = {row["subject"] for row in existing.values() if row["rule"] == rule.name and row["state"] != "resolved"}
        for subject in sorted(set(metric) | held):
            key = fingerprint(rule.name, subject)
            row = existing.get(key)
            previous = _as_state(row) if row is not None else None
            current = step(rule, previous, metric.get(subject), now)
            if current is None or current == previous:
                continue
            _store(
                connection,
                rule,
                subject,
                key,
                current,
                new_episode=previous is None
                or (previous.state is State.RESOLVED and current.state is not State.RESOLVED),
                now=now,
            )
            if previous is None or previous.state != current.state:
                transitions.append(
                    Transition(key, rule.name, subject, previous.state if previous else None, current.state)
                )
                _record(connection, key, previous, current, now, generator_url)
    return transitions


def _store(
    connection: Connection, rule: Rule, subject: str, key: str, state: AlertState, *, new_episode: bool, now: datetime
) -> None:
    values: dict[str, Any] = {
        "fingerprint": key,
        "rule": rule.name,
        "subject": subject,
        "severity": rule.severity.value,
        "state": state.state.value,
        "value": state.value,
        "labels": alert_labels(rule, subject),
        "annotations": {"summary": rule.summary},
        "pending_since": state.pending_since,
        "fired_at": state.fired_at,
        "resolved_at": state.resolved_at,
        "updated_at": now,
    }
    if new_episode:
        values |= {"acknowledged_by": None, "acknowledged_at": None, "acknowledge_comment": None}
    statement = insert(alert_states).values(values)
    connection.execute(
        statement.on_conflict_do_update(
            index_elements=["fingerprint"], set_={k: statement.excluded[k] for k in values if k != "fingerprint"}
        )
    )


def _record(
    connection: Connection,
    key: str,
    previous: AlertState | None,
    current: AlertState,
    now: datetime,
    generator_url: str,
) -> None:
    connection.execute(
        alert_history.insert().values(
            fingerprint=key,
            at=now,
            event="transition",
            from_state=previous and previous.state.value,
            to_state=current.state.value,
            value=current.value,
        )
    )
    fired_before = previous is not None and previous.state is State.FIRING
    if current.state is State.FIRING or (current.state is State.RESOLVED and fired_before):
        row = connection.execute(select(alert_states).where(alert_states.c.fingerprint == key)).mappings().one()
        connection.execute(
            alert_outbox.insert().values(fingerprint=key, payload=alertmanager_payload(row, generator_url))
        )


def acknowledge(
    connection: Connection, key: str, by: str, comment: str | None, now: datetime, *, actor: str | None = None
) -> bool:
    """Record who acknowledged an alert, when and why; False when the fingerprint is unknown.

    ``actor`` is the authenticated identity behind the request, when there is one; the history records it
    (else ``by``, the name the request gives)."""
    updated = connection.execute(
        alert_states.update()
        .where(alert_states.c.fingerprint == key)
        .values(acknowledged_by=by, acknowledged_at=now, acknowledge_comment=comment)
    ).rowcount
    if updated:
        connection.execute(
            alert_history.insert().values(
                fingerprint=key, at=now, event="acknowledged", actor=actor or by, comment=comment
            )
        )
    return bool(updated)
