"""The alerts cycle: recompute figures, evaluate rules, deliver to Alertmanager, publish MQTT snapshots."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import structlog
from sqlalchemy import Connection, Engine, func, select

from services.alerts.context import Clock, Computation, utc_now
from services.alerts.figures.recompute import CycleReport, run_cycle
from services.alerts.figures.water import queue_other_basis
from services.alerts.metrics import AlertsMetrics
from services.alerts.registry import registry_from_database
from services.alerts.rules.alertmanager import Alertmanager, deliver_outbox, resend_firing
from services.alerts.rules.definitions import RuleBook
from services.alerts.rules.metrics import MetricContext
from services.alerts.rules.mqtt_snapshots import SnapshotPublisher, snapshots
from services.alerts.rules.presentation import Links
from services.alerts.rules.store import Transition, evaluate_rules
from services.alerts.settings import AlertsSettings
from services.alerts.tables import alert_outbox, alert_states

log = structlog.get_logger(__name__)


@dataclass
class AlertsService:
    engine: Engine
    settings: AlertsSettings
    book: RuleBook
    alertmanager: Alertmanager
    publisher: SnapshotPublisher | None = None
    clock: Clock = utc_now
    last_resend: float = field(default=float("-inf"))
    metrics: AlertsMetrics = field(default_factory=AlertsMetrics)

    def computation(self, connection: Connection, now: datetime) -> Computation:
        settings = self.settings
        registry = registry_from_database(
            connection,
            city=settings.alerts_city,
            city_control_levels=settings.alerts_city_control_levels,
            city_stations=settings.alerts_city_stations,
        )
        return Computation(
            connection,
            registry,
            now,
            share_control_levels=settings.alerts_share_control_levels,
            silent_after_intervals=settings.alerts_silent_after_intervals,
            good_day_target=settings.good_day_target,
            completeness_rule=settings.completeness_rule,
            city_min_stations=settings.alerts_city_min_stations,
            water_minimums=settings.water_minimums,
            tolerances=settings.tolerance_table,
            water_class_basis=settings.water_class_basis,
        )

    def compute_and_evaluate(self, now: datetime) -> tuple[CycleReport, list[Transition]]:
        with self.engine.begin() as connection:
            job = self.computation(connection, now)
            report = run_cycle(job)
            settings = self.settings
            context = MetricContext.of(
                job,
                flag_window=timedelta(minutes=settings.alerts_flag_window_minutes),
                heavy_pollution=self.book.heavy_pollution,
                precision=settings.precision_table,
            )
            links = Links(settings.grafana_url, settings.alerts_public_url)
            transitions = evaluate_rules(connection, self.book, context, links, settings.alerts_public_url)
        return report, transitions

    def restate_water_classes(self) -> int:
        """Queue the water periods classed on another basis than the setting's: a changed setting restates the past."""
        with self.engine.begin() as connection:
            return queue_other_basis(connection, self.settings.alerts_water_class_basis)

    def deliver(self, now: datetime) -> None:
        self.metrics.delivered.inc(deliver_outbox(self.engine, self.alertmanager))
        if time.monotonic() - self.last_resend >= self.settings.alerts_resend_seconds:
            resend_firing(self.engine, self.alertmanager, self.settings.alerts_public_url)
            self.last_resend = time.monotonic()
        if self.publisher is not None:
            keep = timedelta(hours=self.settings.alerts_snapshot_keep_resolved_hours)
            with self.engine.connect() as connection:
                self.publisher.publish(snapshots(connection, now, keep))

    def observe(self) -> None:
        with self.engine.connect() as connection:
            counts: dict[str, int] = dict(
                connection.execute(select(alert_states.c.state, func.count()).group_by(alert_states.c.state)).all()
            )
            pending = connection.execute(
                select(func.count()).select_from(alert_outbox).where(alert_outbox.c.delivered_at.is_(None))
            ).scalar_one()
        for state in ("pending", "firing", "resolved"):
            self.metrics.alert_states.labels(state).set(counts.get(state, 0))
        self.metrics.outbox_pending.set(pending)

    def cycle(self) -> list[Transition]:
        """One full cycle; errors are logged and counted, never raised (the loop goes on)."""
        now = self.clock()
        started = time.perf_counter()
        try:
            report, transitions = self.compute_and_evaluate(now)
            self.deliver(now)
            self.observe()
        except Exception:
            self.metrics.cycles.labels("error").inc()
            log.exception("alerts cycle failed")
            return []
        self.metrics.cycles.labels("ok").inc()
        self.metrics.cycle_seconds.observe(time.perf_counter() - started)
        log.info("alerts cycle", days=len(report.days), queued=report.queued, transitions=len(transitions))
        return transitions
