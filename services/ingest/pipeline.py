"""The ingest loop: decode received messages and batch them; the committer commits, replies and acks.

Runs on one thread; the MQTT network thread only appends to the inbox. A batch closes at
``batch_rows`` rows or ``flush_interval`` after its first message and goes to the
:class:`~services.ingest.committer.Committer`, which commits it while the next one fills.
"""

from __future__ import annotations

import queue
import threading
import time
from collections import deque
from datetime import UTC, datetime

from prometheus_client import Counter

from services.ingest.committer import RETRY_MIN_SECONDS, Committer
from services.ingest.consumer import BrokerConsumer
from services.ingest.decode import REGISTRY_REASONS, DecodeLimits, decode, is_platform_output, parse_inbound
from services.ingest.messages import Batch, Decoded, InboundMessage
from services.ingest.metrics import IngestMetrics
from services.ingest.registry import RegistryCache
from services.ingest.settings import IngestSettings
from services.ingest.writer import Writer


def _topic_kind(topic: str) -> str:
    """The received-messages metric label of a topic."""
    if is_platform_output(topic):
        return "platform"
    inbound = parse_inbound(topic)
    return inbound.kind.value if inbound is not None else "other"


class Pipeline:
    def __init__(self, settings: IngestSettings, registry: RegistryCache, writer: Writer) -> None:
        self._settings = settings
        self._registry = registry
        self._limits = DecodeLimits(settings.ingest_max_payload_bytes, settings.ingest_max_readings_per_message,
                                    settings.ingest_max_future)
        # None wakes the loop up for drain() and abandon()
        self._inbox: queue.SimpleQueue[InboundMessage | None] = queue.SimpleQueue()
        self._unacked: deque[InboundMessage] = deque()  # FIFO, as received; acks leave in the same order
        self._draining = threading.Event()
        self._abandon = threading.Event()
        self.metrics = IngestMetrics(self.oldest_unacked_seconds)
        self._received_by_kind: dict[str, Counter] = {}
        self.consumer = BrokerConsumer(settings, self.receive)
        self._committer = Committer(writer, self.consumer, self.metrics, self._unacked, self._abandon)

    @property
    def database_ok(self) -> bool:
        return self._committer.database_ok

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
        committer = threading.Thread(target=self._committer.run, name="ingest-commit", daemon=True)
        committer.start()
        batch, deadline = Batch(), float("inf")
        flush_seconds = self._settings.ingest_flush_interval.total_seconds()
        while not self._abandon.is_set():
            draining = self._draining.is_set()
            if draining:
                timeout: float | None = 0.0
            else:  # block until the first message of a batch, then until its flush deadline
                timeout = max(0.0, deadline - time.monotonic()) if batch.entries else None
            try:
                message = self._inbox.get(timeout=timeout)
            except queue.Empty:
                message = None
            if message is not None:
                batch.add(message, self._decode(message))
                deadline = min(deadline, time.monotonic() + flush_seconds)
            if batch.entries and (batch.rows >= self._settings.ingest_batch_rows or time.monotonic() >= deadline
                                  or (message is None and draining)):
                self._committer.submit(batch)
                batch, deadline = Batch(), float("inf")
            elif message is None and draining:
                break
        self._committer.submit(None)
        committer.join()

    def drain(self) -> None:
        self.consumer.accepting = False
        self._draining.set()
        self._inbox.put(None)

    def abandon(self) -> None:
        """Stop retrying; whatever is not committed stays unacked on the broker."""
        self._abandon.set()
        self._inbox.put(None)

    def _decode(self, message: InboundMessage) -> Decoded:
        kind = _topic_kind(message.topic)
        received = self._received_by_kind.get(kind)
        if received is None:  # labels() takes a lock and a lookup: done once per kind, not per message
            received = self._received_by_kind[kind] = self.metrics.received.labels(kind)
        received.inc()
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
