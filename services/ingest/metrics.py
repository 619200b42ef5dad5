"""Prometheus metrics of one ingest replica, on its own registry (several replicas may share a process in tests)."""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

BATCH_ROW_BUCKETS = (1, 10, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 50000)
COMMIT_SECONDS_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class IngestMetrics:
    def __init__(self, oldest_unacked_seconds: Callable[[], float]) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.received = Counter("envmon_ingest_messages_received", "MQTT messages received", ["topic_kind"], registry=r)
        self.stored = Counter("envmon_ingest_readings_stored", "Readings committed to TimescaleDB", registry=r)
        self.duplicates = Counter(
            "envmon_ingest_readings_duplicate",
            "Readings already stored (re-sent or redelivered), not stored again",
            registry=r,
        )
        self.corrected = Counter(
            "envmon_ingest_readings_corrected",
            "Stored readings replaced by a gateway's explicit correction (audited in reading_corrections)",
            registry=r,
        )
        self.rejected = Counter(
            "envmon_ingest_rejected", "Rejected messages or readings, by reason", ["reason"], registry=r
        )
        self.late_days = Counter(
            "envmon_ingest_recompute_days_queued", "(station, day) recompute-queue bumps for late readings", registry=r
        )
        self.acked = Counter("envmon_ingest_messages_acked", "Messages acknowledged after their commit", registry=r)
        self.commit_failures = Counter(
            "envmon_ingest_commit_failures", "Batch commits that failed and were retried", registry=r
        )
        self.batch_rows = Histogram(
            "envmon_ingest_batch_rows",
            "Rows (readings + rejects) per committed batch",
            buckets=BATCH_ROW_BUCKETS,
            registry=r,
        )
        self.commit_seconds = Histogram(
            "envmon_ingest_commit_seconds", "Time to commit one batch", buckets=COMMIT_SECONDS_BUCKETS, registry=r
        )
        self.poison = Counter(
            "envmon_ingest_poison_messages",
            "Messages quarantined as poison: they were in the worker when it crashed or stalled too often",
            registry=r,
        )
        self.worker_restarts = Counter(
            "envmon_ingest_worker_restarts",
            "Worker processes replaced, by cause (died, stalled)",
            ["cause"],
            registry=r,
        )
        self.broker_connected = Gauge("envmon_ingest_broker_connected", "1 while connected to the broker", registry=r)
        self.database_connected = Gauge(
            "envmon_ingest_database_connected", "1 while the last database operation succeeded", registry=r
        )
        oldest = Gauge(
            "envmon_ingest_oldest_unacked_message_age_seconds",
            "Age of the oldest received but not yet acknowledged message",
            registry=r,
        )
        oldest.set_function(oldest_unacked_seconds)
