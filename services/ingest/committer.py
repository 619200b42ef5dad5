"""Commits closed batches on a thread of its own, then publishes their replies and acks them in order.

Decoding the next batch overlaps the current commit: the database works in its own process and
psycopg releases the GIL while it waits, so the pipeline thread keeps decoding meanwhile. One
committer per replica keeps acks in receive order. A failed commit is retried with backoff forever
(nothing acked, nothing dropped); while it retries, at most ``BATCHES_WAITING`` closed batches
queue up behind it and the pipeline thread blocks, which bounds the memory held.
"""

from __future__ import annotations

import queue
import threading
import time
from collections import deque

import psycopg
import structlog

from services.ingest.consumer import BrokerConsumer
from services.ingest.messages import Batch, InboundMessage, WriteResult
from services.ingest.metrics import IngestMetrics
from services.ingest.writer import Writer

RETRY_MIN_SECONDS = 0.5
RETRY_MAX_SECONDS = 5.0
IDLE_PING_SECONDS = 5.0  # keeps /readyz honest about the database while no data flows
BATCHES_WAITING = 1  # closed batches queued behind the one being committed
SUBMIT_POLL_SECONDS = 0.5  # how often a blocked submit checks whether the service gave up
NOTHING = WriteResult(stored=0, duplicates=0, rejects=0)

log = structlog.get_logger(__name__)


class Committer:
    def __init__(self, writer: Writer, consumer: BrokerConsumer, metrics: IngestMetrics,
                 unacked: deque[InboundMessage], abandon: threading.Event) -> None:
        self._writer = writer
        self._consumer = consumer
        self._metrics = metrics
        self._unacked = unacked
        self._abandon = abandon
        self._batches: queue.Queue[Batch | None] = queue.Queue(maxsize=BATCHES_WAITING)
        self.database_ok = False

    # --- pipeline thread ---------------------------------------------------------------------------------
    def submit(self, batch: Batch | None) -> None:
        """Queue a closed batch (None: no more batches); blocks while the queue is full, unless abandoned."""
        while not self._abandon.is_set():
            try:
                self._batches.put(batch, timeout=SUBMIT_POLL_SECONDS)
                return
            except queue.Full:
                continue

    def database_state(self, *, ok: bool) -> None:
        self.database_ok = ok
        self._metrics.database_connected.set(1 if ok else 0)

    # --- committer thread --------------------------------------------------------------------------------
    def run(self) -> None:
        """Until the None batch (everything before it committed and acked) or abandonment."""
        last_activity = float("-inf")  # ping at once so /readyz knows the database from the start
        while not self._abandon.is_set():
            try:
                batch = self._batches.get(timeout=max(0.0, last_activity + IDLE_PING_SECONDS - time.monotonic()))
            except queue.Empty:
                self._ping()
                last_activity = time.monotonic()
                continue
            if batch is None:
                return
            self._commit(batch)
            last_activity = time.monotonic()

    def _commit(self, batch: Batch) -> None:
        delay = RETRY_MIN_SECONDS
        while True:
            started = time.perf_counter()
            try:
                result = self._writer.write(batch) if batch.rows else NOTHING
                break
            except psycopg.Error as error:
                self._metrics.commit_failures.inc()
                self.database_state(ok=False)
                log.warning("batch commit failed; retrying, nothing acked", error=str(error).splitlines()[0],
                            messages=len(batch.entries), retry_in=delay)
                if self._abandon.wait(delay):
                    return
                delay = min(delay * 2, RETRY_MAX_SECONDS)
        self._account(batch, result, time.perf_counter() - started)
        acked = 0
        for message, decoded in batch.entries:
            for reply in decoded.replies:
                self._consumer.publish(reply)
            acked += self._consumer.ack(message)
            self._unacked.popleft()
        self._metrics.acked.inc(acked)

    def _account(self, batch: Batch, result: WriteResult, seconds: float) -> None:
        metrics = self._metrics
        self.database_state(ok=True)
        if batch.rows:
            metrics.commit_seconds.observe(seconds)
            metrics.batch_rows.observe(batch.rows)
        metrics.stored.inc(result.stored)
        metrics.duplicates.inc(result.duplicates)
        metrics.late_days.inc(result.late_days)
        for _, decoded in batch.entries:
            for reject in decoded.rejects:
                metrics.rejected.labels(reject.reason).inc()

    def _ping(self) -> None:
        try:
            self._writer.ping()
            self.database_state(ok=True)
        except psycopg.Error:
            self.database_state(ok=False)
