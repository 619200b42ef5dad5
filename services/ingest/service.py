"""One ingest replica: the broker consumer, the pipeline threads and the worker process (decode,
registry, writer), started and stopped together."""

from __future__ import annotations

import gc
import sys
import threading
from dataclasses import dataclass

import structlog

from services.ingest.pipeline import Pipeline
from services.ingest.settings import IngestSettings

# SIGTERM: give the last batch this long to commit before leaving it unacked for the next run.
SHUTDOWN_FLUSH_SECONDS = 30.0
# The MQTT network thread makes several recv calls per message and must win the GIL back after
# each; with the default 5 ms switch interval the other threads starve it (a GIL convoy).
GIL_SWITCH_INTERVAL_SECONDS = 0.0005
# A backlog drain allocates millions of short-lived objects (decimals, readings, tuples), so the
# default first-generation threshold (700) runs a collection every few messages, and each
# collection that reaches the old generation walks every module object too. Collect the young
# generation less often, and freeze what exists at start-up out of the collector's sight.
GC_YOUNG_THRESHOLD = 50_000

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Health:
    broker_connected: bool
    database_connected: bool

    @property
    def ready(self) -> bool:
        return self.broker_connected and self.database_connected


class IngestService:
    def __init__(self, settings: IngestSettings) -> None:
        self.pipeline = Pipeline(settings)
        self._thread = threading.Thread(target=self.pipeline.run, name="ingest-pipeline", daemon=True)

    def start(self) -> None:
        sys.setswitchinterval(GIL_SWITCH_INTERVAL_SECONDS)
        gc.freeze()
        gc.set_threshold(GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])
        self.pipeline.start_worker()
        self._thread.start()
        self.pipeline.consumer.start()
        log.info("ingest started")

    def health(self) -> Health:
        return Health(self.pipeline.consumer.connected.is_set(), self.pipeline.database_ok)

    def stop(self, flush_seconds: float = SHUTDOWN_FLUSH_SECONDS) -> None:
        """Flush, ack, disconnect: stop taking messages, commit and ack what we hold, then leave."""
        self.pipeline.drain()
        self._thread.join(flush_seconds)
        if self._thread.is_alive():
            log.warning("shutdown flush timed out; the rest stays unacked on the broker")
            self.pipeline.abandon()
            self._thread.join()
        self.pipeline.consumer.stop()
        log.info("ingest stopped")
