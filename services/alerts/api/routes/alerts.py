"""/v1/alerts: alert states, one alert with its history, and acknowledging it."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException
from sqlalchemy import Connection

from services.alerts.api.body import BAD_BODY, Utf8JsonRoute
from services.alerts.api.deps import EngineDep, IdentityDep, NowDep
from services.alerts.api.models import Acknowledgement, AlertDetail, AlertEvent, AlertState, Problem
from services.alerts.api.params import AlertPeriodParam, AlertSubjectParam, FingerprintPath, LimitParam, RuleParam
from services.alerts.api.presentation import exact_text
from services.alerts.api.queries import AlertFilter, ColumnEquals, fetch
from services.alerts.rules.definitions import Severity
from services.alerts.rules.lifecycle import State
from services.alerts.rules.store import acknowledge

router = APIRouter(prefix="/v1/alerts", tags=["alerts"], route_class=Utf8JsonRoute)

NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": Problem, "description": "No alert with this fingerprint"}}


def _with_value(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "value": None if row["value"] is None else exact_text(row["value"])}


@router.get("")
def alerts_list(
    engine: EngineDep,
    state: State | None = None,
    severity: Severity | None = None,
    rule: RuleParam = None,
    subject: AlertSubjectParam = None,
    period: AlertPeriodParam = None,
    limit: LimitParam = 100,
) -> list[AlertState]:
    """Alert states, newest first, filtered by state, severity, rule, subject and period."""
    with engine.connect() as connection:
        rows = fetch(
            connection,
            "select * from alert_states",
            [AlertFilter(state, severity, rule, subject, period)],
            "order by updated_at desc limit :limit",
            {"limit": limit},
        )
    return [AlertState(**_with_value(row)) for row in rows]


def _detail(connection: Connection, fingerprint: str) -> AlertDetail:
    key = ColumnEquals("fingerprint", fingerprint)
    rows = fetch(connection, "select * from alert_states", [key])
    if not rows:
        raise HTTPException(404, f"no alert {fingerprint}")
    history = fetch(
        connection,
        "select at, event, from_state, to_state, value, actor, comment from alert_history",
        [key],
        "order by id",
    )
    return AlertDetail(**_with_value(rows[0]), history=[AlertEvent(**_with_value(event)) for event in history])


@router.get("/{fingerprint}", responses=NOT_FOUND)
def alert_detail(fingerprint: FingerprintPath, engine: EngineDep) -> AlertDetail:
    """One alert state with its full history."""
    with engine.connect() as connection:
        return _detail(connection, fingerprint)


@router.post(
    "/{fingerprint}/acknowledge",
    responses={
        **NOT_FOUND,
        400: {"model": Problem, "description": BAD_BODY},
        401: {"model": Problem, "description": "The identity header is configured but missing"},
    },
)
def alert_acknowledge(
    fingerprint: FingerprintPath, body: Acknowledgement, engine: EngineDep, identity: IdentityDep, now: NowDep
) -> AlertDetail:
    """Acknowledge an alert: who, when and a comment go into its state and history. The history's actor
    is the user an authenticating proxy names (``ENVMON_ALERTS_IDENTITY_HEADER``), else ``by``."""
    with engine.begin() as connection:
        if not acknowledge(connection, fingerprint, body.by, body.comment, now, actor=identity):
            raise HTTPException(404, f"no alert {fingerprint}")
        return _detail(connection, fingerprint)
