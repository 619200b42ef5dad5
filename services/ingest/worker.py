"""The worker process: decodes received messages, batches them and commits them, beside receipt.

A backlog drain is CPU-bound in Python, and one interpreter lock cannot run the MQTT network
thread, decoding and COPY formatting at once. So the main process only receives, publishes
replies and acks (services.ingest.pipeline); this process owns the registry cache, decoding and
the database writer. It reads chunks of raw messages (:data:`RawMessage`, in receive order) from
one pipe and reports a :class:`~services.ingest.messages.BatchOutcome` per committed batch and
:class:`~services.ingest.messages.DatabaseState` changes on another. Nothing waits for a round
trip: the main process keeps receiving and sending while a batch decodes and commits here.

A batch closes at ``batch_rows`` rows or ``flush_interval`` after its first message. A ``None``
chunk means drain: commit what is held, report it, then report ``None`` and exit.

The process dies with its parent: it is a daemon (ended at the parent's normal exit), asks Linux
for SIGKILL when the parent dies (kill -9 included), and leaves when its pipe reaches end of file.
An uncommitted batch is then simply never acked, and the broker redelivers it. Being forked, it
inherits the parent's interpreter tuning (GIL switch interval, garbage-collector thresholds).
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Event

import structlog

from services.ingest.committer import IDLE_PING_SECONDS, RETRY_MIN_SECONDS, Abandon, Committer
from services.ingest.decode import REGISTRY_REASONS, DecodeLimits, decode
from services.ingest.messages import Batch, BatchOutcome, DatabaseState, Decoded, InboundMessage
from services.ingest.registry import RegistryCache
from services.ingest.settings import IngestSettings
from services.ingest.writer import Writer
from services.storage.engine import make_engine

# (mid, qos, topic, payload, received_at, generation, correlation_data, gateway): InboundMessage's
# fields as a plain tuple, which pickles several times faster than the dataclass.
RawMessage = tuple[int, int, str, bytes, datetime, int, bytes | None, str | None]
PR_SET_PDEATHSIG = 1  # linux/prctl.h

log = structlog.get_logger(__name__)


def raw(message: InboundMessage) -> RawMessage:
    return (
        message.mid,
        message.qos,
        message.topic,
        message.payload,
        message.received_at,
        message.generation,
        message.correlation_data,
        message.gateway,
    )


def _die_with_parent(parent: int) -> None:
    if sys.platform == "linux":
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


def serve(settings: IngestSettings, chunks: Connection, outcomes: Connection, abandon: Event, parent: int) -> None:
    """The worker process's entry point."""
    _die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the parent decides
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    engine = make_engine(settings.database_url, pool_size=1)
    writer = Writer(settings.database_url, late_after=settings.ingest_late_after)
    try:
        Worker(settings, RegistryCache(engine, settings.ingest_registry_refresh), writer, outcomes, abandon).run(chunks)
    finally:
        writer.close()
        engine.dispose()


class Worker:
    def __init__(
        self, settings: IngestSettings, registry: RegistryCache, writer: Writer, outcomes: Connection, abandon: Abandon
    ) -> None:
        self._settings = settings
        self._registry = registry
        self._outcomes = outcomes
        self._abandon = abandon
        self._limits = DecodeLimits(
            settings.ingest_max_payload_bytes, settings.ingest_max_readings_per_message, settings.ingest_max_future
        )
        self._committer = Committer(writer, self._report, abandon)
        self._report_lock = threading.Lock()  # the decode and committer threads both report

    def _report(self, outcome: BatchOutcome | DatabaseState | None) -> None:
        with self._report_lock:
            self._outcomes.send(outcome)

    def run(self, chunks: Connection) -> None:
        """Until a None chunk (then everything received is committed and reported), abandonment or end of file."""
        committer = threading.Thread(target=self._committer.run, name="ingest-commit", daemon=True)
        committer.start()
        batch, deadline = Batch(), float("inf")
        flush_seconds = self._settings.ingest_flush_interval.total_seconds()
        draining = False
        while not self._abandon.is_set():
            # block until the first message of a batch (waking up now and then to notice abandonment),
            # then until its flush deadline
            timeout = max(0.0, deadline - time.monotonic()) if batch.entries else IDLE_PING_SECONDS
            chunk: list[RawMessage] | None = []
            if chunks.poll(timeout):
                try:
                    chunk = chunks.recv()
                except EOFError:  # the main process is gone
                    return
            draining = chunk is None
            for fields in chunk or ():
                message = InboundMessage(*fields)
                batch.add(message, self._decode(message))
                deadline = min(deadline, time.monotonic() + flush_seconds)
            if batch.entries and (
                batch.rows >= self._settings.ingest_batch_rows or time.monotonic() >= deadline or draining
            ):
                self._committer.submit(batch)
                batch, deadline = Batch(), float("inf")
            if draining:
                break
        self._committer.submit(None)
        committer.join()
        if draining and not self._abandon.is_set():
            self._report(None)

    def _decode(self, message: InboundMessage) -> Decoded:
        snapshot = self._registry.current()
        while not self._registry.loaded and not self._abandon.is_set():
            # Without the registry every message would look like an unknown station: wait for the database.
            self._committer.database_state(ok=False)
            self._abandon.wait(RETRY_MIN_SECONDS)
            snapshot = self._registry.current()
        decoded = decode(message, snapshot, datetime.now(UTC), self._limits)
        if any(reject.reason in REGISTRY_REASONS for reject in decoded.rejects):
            fresher = self._registry.miss()
            if fresher is not snapshot:
                decoded = decode(message, fresher, datetime.now(UTC), self._limits)
        return decoded
