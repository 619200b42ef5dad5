"""Alert states in the database: evaluate rules against metric values, keep history, fill the outbox.

One row per (rule, subject, period) fingerprint in ``alert_states``; every transition and acknowledgement
is appended to ``alert_history``; every firing or resolution is queued in ``alert_outbox`` in the
same transaction, so delivery to Alertmanager can be retried without losing anything.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, or_, select

from services.alerts.rules.definitions import Rule, RuleBook
from services.alerts.rules.lifecycle import AlertState, State, close, fingerprint, step
from services.alerts.rules.metrics import MetricContext, Observation, Reading, observe
from services.alerts.rules.presentation import Links, Presenter, subject_names
from services.alerts.tables import alert_history, alert_outbox, alert_states


@dataclass(frozen=True, slots=True)
class Transition:
    fingerprint: str
    rule: str
    subject: str
    period: str
    from_state: State | None
    to_state: State


def alertmanager_payload(row: Mapping[Any, Any], generator_url: str) -> dict[str, Any]:
    """The v2 API alert for a state row; a resolved alert carries endsAt = its resolution time."""
    payload: dict[str, Any] = {
        "labels": dict(row["labels"]),
        "annotations": dict(row["annotations"]),
        "startsAt": row["fired_at"].isoformat(),
        "generatorURL": f"{generator_url}/v1/alerts/{row['fingerprint']}",
    }
    if row["state"] == State.RESOLVED:
        payload["endsAt"] = row["resolved_at"].isoformat()
    return payload


def _as_state(row: Mapping[Any, Any]) -> AlertState:
    return AlertState(State(row["state"]), row["value"], row["pending_since"], row["fired_at"], row["resolved_at"])


def _observed(rule: Rule, reading: Reading) -> dict[tuple[str, str], Observation]:
    observed = {}
    for observation in reading.observations:
        if reading.period(observation.period) is None:
            raise ValueError(f"metric {rule.metric} observed period {observation.period}, which it does not evaluate")
        observed[(observation.subject, observation.period)] = observation
    return observed


def _rows(connection: Connection, keys: Iterable[str]) -> dict[str, RowMapping]:
    """The states of ``keys`` and every state still pending or firing."""
    rows = connection.execute(
        select(alert_states).where(
            or_(alert_states.c.fingerprint.in_(list(keys)), alert_states.c.state != State.RESOLVED.value)
        )
    ).mappings()
    return {row["fingerprint"]: row for row in rows}


def evaluate_rules(
    connection: Connection, book: RuleBook, context: MetricContext, links: Links, generator_url: str
) -> list[Transition]:
    """Observe every metric the rules use and evaluate the rules on them (one cycle)."""
    readings = observe(connection, {rule.metric for rule in book.rules}, context)
    presenter = Presenter(links, context.city, subject_names(connection, context.city), context.precision, context.now)
    return evaluate(connection, book.rules, readings, presenter, generator_url)


def evaluate(
    connection: Connection,
    rules: Iterable[Rule],
    readings: Mapping[str, Reading],
    presenter: Presenter,
    generator_url: str,
) -> list[Transition]:
    """Step every (rule, subject, period) once; returns the state transitions made.

    A subject without an observation in an evaluated period keeps its state; an alert whose period is
    no longer evaluated is resolved (``lifecycle.close``); one cleared before it fired is deleted with
    its history, as it never reached Alertmanager. Texts (annotations) follow the latest
    observation, also while the state stays the same.
    """
    now = presenter.now
    observed = {rule.name: _observed(rule, readings[rule.metric]) for rule in rules}
    existing = _rows(connection, [fingerprint(rule.name, *key) for rule in rules for key in observed[rule.name]])
    transitions = []
    for rule in rules:
        reading = readings[rule.metric]
        held = {
            (row["subject"], row["period"])
            for row in existing.values()
            if row["rule"] == rule.name and row["state"] != State.RESOLVED.value
        }
        for subject, period_key in sorted(observed[rule.name].keys() | held):
            key = fingerprint(rule.name, subject, period_key)
            row = existing.get(key)
            previous = _as_state(row) if row is not None else None
            observation = observed[rule.name].get((subject, period_key))
            period = reading.period(period_key)
            if period is None:
                assert previous is not None  # held rows exist
                current: AlertState | None = close(previous, now)
            else:
                current = step(rule, previous, None if observation is None else observation.value, now)
            if current is None:
                if row is not None:  # cleared while pending: never sent, so no trace is kept
                    connection.execute(alert_states.delete().where(alert_states.c.fingerprint == key))
                continue
            annotations = (
                presenter.annotations(rule, observation, period)
                if observation is not None and period is not None
                else None
            )
            unchanged_texts = annotations is None or (row is not None and annotations == row["annotations"])
            if current == previous and unchanged_texts:
                continue
            _store(
                connection,
                rule,
                key,
                subject,
                period_key,
                current,
                # a held state (no observation) keeps its labels: a metric's own labels come with an observation
                labels=presenter.labels(rule, subject, period, observation)
                if period is not None and observation is not None
                else None,
                annotations=annotations,
                new_episode=previous is None
                or (previous.state is State.RESOLVED and current.state is not State.RESOLVED),
                now=now,
            )
            if previous is None or previous.state != current.state:
                transitions.append(
                    Transition(key, rule.name, subject, period_key, previous.state if previous else None, current.state)
                )
                _record(connection, key, previous, current, now, generator_url)
    return transitions


def _store(
    connection: Connection,
    rule: Rule,
    key: str,
    subject: str,
    period: str,
    state: AlertState,
    *,
    labels: dict[str, str] | None,
    annotations: dict[str, str] | None,
    new_episode: bool,
    now: datetime,
) -> None:
    """Insert a new state row, or update one; labels and annotations are kept as they are when not given."""
    values: dict[str, Any] = {
        "severity": rule.severity.value,
        "state": state.state.value,
        "value": state.value,
        "pending_since": state.pending_since,
        "fired_at": state.fired_at,
        "resolved_at": state.resolved_at,
        "updated_at": now,
    }
    if labels is not None:
        values["labels"] = labels
    if annotations is not None:
        values["annotations"] = annotations
    if new_episode:
        values |= {"acknowledged_by": None, "acknowledged_at": None, "acknowledge_comment": None}
    updated = connection.execute(alert_states.update().where(alert_states.c.fingerprint == key).values(values))
    if updated.rowcount == 0:
        connection.execute(
            alert_states.insert().values(fingerprint=key, rule=rule.name, subject=subject, period=period, **values)
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
