"""Retained alert snapshots on ``envmon/v1/alerts/{severity}`` for control-room displays.

MQTT keeps one retained message per topic, so each severity's topic carries a snapshot: the
latest state of every fingerprint of that severity that is pending or firing, or resolved within
the last ``keep_resolved`` hours. A display subscribing to ``envmon/v1/alerts/#`` gets the full
picture at once. A snapshot is re-published only when it changed; a failed publish is retried on
the next cycle, since the snapshot is rebuilt from the database each time.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import Connection, or_, select

from services.alerts.rules.definitions import Severity
from services.alerts.tables import alert_states
from services.common.mqtt_client import KEEPALIVE_SECONDS, mqtt_client
from services.common.mqtt_url import MqttEndpoint
from services.common.topics import alerts_topic

log = structlog.get_logger(__name__)

PUBLISH_TIMEOUT_SECONDS = 5.0
SNAPSHOT_FIELDS = (
    "fingerprint",
    "rule",
    "subject",
    "severity",
    "state",
    "value",
    "labels",
    "pending_since",
    "fired_at",
    "resolved_at",
    "acknowledged_by",
    "acknowledged_at",
    "acknowledge_comment",
)


def _json_value(value: Any) -> Any:
    return (
        value.isoformat()
        if isinstance(value, datetime)
        else str(value)
        if value is not None and not isinstance(value, str | dict | list)
        else value
    )


def snapshots(connection: Connection, now: datetime, keep_resolved: timedelta) -> dict[str, bytes]:
    """The retained payload of every severity topic (an empty list where nothing is active)."""
    rows = connection.execute(
        select(alert_states)
        .where(or_(alert_states.c.state != "resolved", alert_states.c.resolved_at >= now - keep_resolved))
        .order_by(alert_states.c.severity, alert_states.c.rule, alert_states.c.subject)
    ).mappings()
    alerts: dict[str, list[dict[str, Any]]] = {severity.value: [] for severity in Severity}
    for row in rows:
        alerts.setdefault(row["severity"], []).append({f: _json_value(row[f]) for f in SNAPSHOT_FIELDS})
    return {
        severity: json.dumps({"severity": severity, "alerts": entries}, ensure_ascii=False, sort_keys=True).encode()
        for severity, entries in alerts.items()
    }


class SnapshotPublisher:
    """A paho client (account envmon-alerts) publishing snapshots retained, QoS 1."""

    def __init__(self, endpoint: MqttEndpoint) -> None:
        self.client = mqtt_client(endpoint, "envmon-alerts")
        self.client.connect_async(endpoint.host, endpoint.port, keepalive=KEEPALIVE_SECONDS)
        self.client.loop_start()
        self.published: dict[str, bytes] = {}

    def publish(self, payloads: dict[str, bytes]) -> int:
        """Publish the snapshots that changed; returns how many went out."""
        sent = 0
        for severity, payload in payloads.items():
            if self.published.get(severity) == payload:
                continue
            info = self.client.publish(alerts_topic(severity), payload, qos=1, retain=True)
            try:
                info.wait_for_publish(timeout=PUBLISH_TIMEOUT_SECONDS)
            except (RuntimeError, ValueError) as error:
                log.warning("alert snapshot not published", severity=severity, error=str(error))
                continue
            if info.is_published():
                self.published[severity] = payload
                sent += 1
        return sent

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()
