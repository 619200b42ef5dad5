"""Prometheus metrics of the alerts service, on a registry of its own (like every other service's)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class AlertsMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.cycles = Counter("envmon_alerts_cycles_total", "Compute cycles run", ["outcome"], registry=self.registry)
        self.cycle_seconds = Histogram(
            "envmon_alerts_cycle_seconds", "Duration of one compute cycle", registry=self.registry
        )
        self.alert_states = Gauge("envmon_alerts_states", "Alert states by state", ["state"], registry=self.registry)
        self.outbox_pending = Gauge(
            "envmon_alerts_outbox_pending", "Outbox rows not yet delivered to Alertmanager", registry=self.registry
        )
        self.delivered = Counter(
            "envmon_alerts_delivered_total", "Outbox rows delivered to Alertmanager", registry=self.registry
        )
