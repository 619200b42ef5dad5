"""One ingest replica: the broker consumer, the pipeline threads and the worker process (decode,
registry, writer), started and stopped together."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import structlog

from services.ingest.interpreter import tune_interpreter
from services.ingest.pipeline import Pipeline, WorkerEntry
from services.ingest.settings import IngestSettings
from services.ingest.worker import serve

# SIGTERM: give the last batch this long to commit before leaving it unacked for the next run.
SHUTDOWN_FLUSH_SECONDS = 30.0

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Health:
    broker_connected: bool
    database_connected: bool
    worker_running: bool

    @property
    def ready(self) -> bool:
        return self.broker_connected and self.database_connected and self.worker_running


class IngestService:
    def __init__(self, settings: IngestSettings, worker_entry: WorkerEntry = serve) -> None:
        self.pipeline = Pipeline(settings, worker_entry)
        self._thread = threading.Thread(target=self.pipeline.run, name="ingest-pipeline", daemon=True)

    def start(self) -> None:
        tune_interpreter()
        self.pipeline.start_worker()
        self._thread.start()
        self.pipeline.consumer.start()
        log.info("ingest started")

    def health(self) -> Health:
        pipeline = self.pipeline
        return Health(pipeline.consumer.connected.is_set(), pipeline.database_ok, pipeline.worker_running)

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
