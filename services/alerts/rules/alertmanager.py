"""Delivery to Prometheus Alertmanager (v2 API) from the outbox, and the periodic re-send of firing alerts.

Outbox rows are sent oldest first; when Alertmanager is down they stay undelivered (attempts and
the error are recorded) and go out on a later cycle, so nothing is lost. Within one batch only the
newest payload per fingerprint is sent (Alertmanager keys alerts by labels, so older ones would be
superseded anyway). Firing alerts are re-sent every ``resend_seconds`` so that Alertmanager does
not time them out (its ``resolve_timeout``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import structlog
from sqlalchemy import Engine, select, text

from services.alerts.rules.lifecycle import State
from services.alerts.rules.store import alertmanager_payload
from services.alerts.tables import alert_outbox, alert_states

log = structlog.get_logger(__name__)

ALERTS_PATH = "/api/v2/alerts"
OUTBOX_BATCH = 500
REQUEST_TIMEOUT_SECONDS = 10.0


@dataclass
class Alertmanager:
    url: str
    client: httpx.Client

    def post(self, alerts: list[dict[str, Any]]) -> None:
        if alerts:
            response = self.client.post(
                self.url.rstrip("/") + ALERTS_PATH, json=alerts, timeout=REQUEST_TIMEOUT_SECONDS
            )
            response.raise_for_status()


def deliver_outbox(engine: Engine, alertmanager: Alertmanager) -> int:
    """Send undelivered outbox rows; returns how many were delivered (0 when Alertmanager failed)."""
    with engine.begin() as connection:
        rows = connection.execute(
            select(alert_outbox.c.id, alert_outbox.c.fingerprint, alert_outbox.c.payload)
            .where(alert_outbox.c.delivered_at.is_(None))
            .order_by(alert_outbox.c.id)
            .limit(OUTBOX_BATCH)
            .with_for_update(skip_locked=True)
        ).all()
        if not rows:
            return 0
        newest = {fingerprint: payload for _, fingerprint, payload in rows}
        ids = [row_id for row_id, _, _ in rows]
        try:
            alertmanager.post(list(newest.values()))
        except httpx.HTTPError as error:
            connection.execute(
                text("update alert_outbox set attempts = attempts + 1, last_error = :error where id = any(:ids)"),
                {"error": str(error) or type(error).__name__, "ids": ids},
            )
            log.warning("alertmanager delivery failed", error=str(error), pending=len(ids))
            return 0
        connection.execute(
            text("update alert_outbox set delivered_at = now(), attempts = attempts + 1 where id = any(:ids)"),
            {"ids": ids},
        )
        return len(ids)


def resend_firing(engine: Engine, alertmanager: Alertmanager, generator_url: str) -> int:
    """Re-send every firing alert; a failure is logged and retried at the next re-send."""
    with engine.connect() as connection:
        rows = connection.execute(select(alert_states).where(alert_states.c.state == State.FIRING.value)).mappings()
        alerts = [alertmanager_payload(row, generator_url) for row in rows]
    try:
        alertmanager.post(alerts)
    except httpx.HTTPError as error:
        log.warning("alertmanager re-send failed", error=str(error), alerts=len(alerts))
        return 0
    return len(alerts)
