"""The ingest loop: decode received messages, batch them, commit, then reply and ack in order.

Runs on one thread; the MQTT network thread only appends to the inbox. A batch closes at
``batch_rows`` rows or ``flush_interval`` after its first message. A failed commit is retried with
backoff forever (nothing acked, nothing dropped); the broker stops sending once the in-flight window
is full, which bounds the memory held meanwhile.
"""

from __future__ import annotations

import queue
import threading
import time
from collections import deque
from datetime import UTC, datetime

import psycopg
import structlog

from services.common import topics
from services.ingest.consumer import BrokerConsumer
from services.ingest.decode import REGISTRY_REASONS, DecodeLimits, decode
from services.ingest.messages import Batch, Decoded, InboundMessage, WriteResult
from services.ingest.metrics import IngestMetrics
from services.ingest.registry import RegistryCache
from services.ingest.settings import IngestSettings
from services.ingest.writer import Writer

RETRY_MIN_SECONDS = 0.5
RETRY_MAX_SECONDS = 5.0
IDLE_PING_SECONDS = 5.0  # keeps /readyz honest about the database while no data flows
NOTHING = WriteResult(stored=0, duplicates=0, rejects=0)

log = structlog.get_logger(__name__)


def _topic_kind(topic: str) -> str:
    if topics.is_platform_output(topic):
        return "platform"
    inbound = topics.parse_inbound(topic)
    return inbound.kind.value if inbound is not None else "other"


class Pipeline:
    def __init__(self, settings: IngestSettings, registry: RegistryCache, writer: Writer) -> None:
        self._settings = settings
        self._registry = registry
        self._writer = writer
        self._limits = DecodeLimits(settings.ingest_max_payload_bytes, settings.ingest_max_readings_per_message,
                                    settings.ingest_max_future)
        self._inbox: queue.SimpleQueue[InboundMessage] = queue.SimpleQueue()
        self._unacked: deque[InboundMessage] = deque()  # FIFO, as received; acks leave in the same order
        self._draining = threading.Event()
        self._abandon = threading.Event()
        self.database_ok = False
        self.metrics = IngestMetrics(self.oldest_unacked_seconds)
        self.consumer = BrokerConsumer(settings, self.receive)

    # --- MQTT network thread ---------------------------------------------------------------------------
    def receive(self, message: InboundMessage) -> None:
        self._unacked.append(message)
        self._inbox.put(message)

    def oldest_unacked_seconds(self) -> float:
        try:
            oldest = self._unacked[0]
        except IndexError:
            return 0.0
        return (datetime.now(UTC) - oldest.received_at).total_seconds()

    # --- pipeline thread --------------------------------------------------------------------------------
    def run(self) -> None:
        """Until :meth:`drain` (then everything received is committed and acked) or :meth:`abandon`."""
        batch, deadline = Batch(), float("inf")
        last_activity = float("-inf")  # ping at once so /readyz knows the database from the start
        flush_seconds = self._settings.ingest_flush_interval.total_seconds()
        while not self._abandon.is_set():
            wait = max(0.0, min(deadline, last_activity + IDLE_PING_SECONDS) - time.monotonic())
            try:
                message = self._inbox.get(timeout=wait if not self._draining.is_set() else 0)
            except queue.Empty:
                message = None
            if message is not None:
                batch.add(message, self._decode(message))
                deadline = min(deadline, time.monotonic() + flush_seconds)
            now = time.monotonic()
            if batch.entries and (batch.rows >= self._settings.ingest_batch_rows or now >= deadline
                                  or (message is None and self._draining.is_set())):
                self._commit(batch)
                batch, deadline, last_activity = Batch(), float("inf"), time.monotonic()
            elif message is None and self._draining.is_set():
                return
            elif message is None and now >= last_activity + IDLE_PING_SECONDS:
                self._ping()
                last_activity = now

    def drain(self) -> None:
        self.consumer.accepting = False
        self._draining.set()

    def abandon(self) -> None:
        """Stop retrying; whatever is not committed stays unacked on the broker."""
        self._abandon.set()

    def _decode(self, message: InboundMessage) -> Decoded:
        self.metrics.received.labels(_topic_kind(message.topic)).inc()
        snapshot = self._registry.current()
        while not self._registry.loaded and not self._abandon.is_set():
            # Without the registry every message would look like an unknown station: wait for the database.
            self._database_state(ok=False)
            self._abandon.wait(RETRY_MIN_SECONDS)
            snapshot = self._registry.current()
        decoded = decode(message, snapshot, datetime.now(UTC), self._limits)
        if any(reject.reason in REGISTRY_REASONS for reject in decoded.rejects):
            fresher = self._registry.miss()
            if fresher is not snapshot:
                decoded = decode(message, fresher, datetime.now(UTC), self._limits)
        return decoded

    def _commit(self, batch: Batch) -> None:
        delay = RETRY_MIN_SECONDS
        while True:
            started = time.perf_counter()
            try:
                result = self._writer.write(batch) if batch.rows else NOTHING
                break
            except psycopg.Error as error:
                self.metrics.commit_failures.inc()
                self._database_state(ok=False)
                log.warning("batch commit failed; retrying, nothing acked", error=str(error).splitlines()[0],
                            messages=len(batch.entries), retry_in=delay)
                if self._abandon.wait(delay):
                    return
                delay = min(delay * 2, RETRY_MAX_SECONDS)
        self._account(batch, result, time.perf_counter() - started)
        for message, decoded in batch.entries:
            for reply in decoded.replies:
                self.consumer.publish(reply)
            if self.consumer.ack(message):
                self.metrics.acked.inc()
            self._unacked.popleft()

    def _account(self, batch: Batch, result: WriteResult, seconds: float) -> None:
        metrics = self.metrics
        self._database_state(ok=True)
        if batch.rows:
            metrics.commit_seconds.observe(seconds)
            metrics.batch_rows.observe(batch.rows)
        metrics.stored.inc(result.stored)
        metrics.duplicates.inc(result.duplicates)
        metrics.late_days.inc(result.late_days)
        for _, decoded in batch.entries:
            for reject in decoded.rejects:
                metrics.rejected.labels(reject.reason).inc()

    def _database_state(self, *, ok: bool) -> None:
        self.database_ok = ok
        self.metrics.database_connected.set(1 if ok else 0)

    def _ping(self) -> None:
        try:
            self._writer.ping()
            self._database_state(ok=True)
        except psycopg.Error:
            self._database_state(ok=False)
