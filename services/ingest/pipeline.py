"""The main process's side of the ingest loop: hand received messages to the worker process, then
publish the replies and ack the messages of each batch it reports committed, in receive order.

Three threads here: the MQTT network thread appends each message to the unacked queue and the
inbox; the sender thread ships whatever the inbox holds to the worker (services.ingest.worker),
one chunk per pipe write; the outcome thread applies each :class:`BatchOutcome` to the oldest
unacked messages. Receipt never waits for a commit: only the broker's in-flight window bounds
what is held, so the worker's decode and commit run alongside receipt.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import queue
import threading
from collections import deque
from datetime import UTC, datetime
from typing import Literal

import structlog
from prometheus_client import Counter

from services.ingest.consumer import BrokerConsumer
from services.ingest.decode import is_platform_output, parse_inbound
from services.ingest.messages import BatchOutcome, DatabaseState, InboundMessage
from services.ingest.metrics import IngestMetrics
from services.ingest.settings import IngestSettings
from services.ingest.worker import RawMessage, raw, serve

# Messages per pipe write, at most: big enough that pickling and the write are cheap per message,
# small enough that the worker starts decoding while the rest of a burst still arrives.
CHUNK_MESSAGES = 500
# fork: the worker starts in milliseconds with every module already imported (spawn re-imports
# them, about a second). It is forked in start(), before this replica's own threads run.
START_METHOD: Literal["fork"] = "fork"

log = structlog.get_logger(__name__)


def _topic_kind(topic: str) -> str:
    """The received-messages metric label of a topic."""
    if is_platform_output(topic):
        return "platform"
    inbound = parse_inbound(topic)
    return inbound.kind.value if inbound is not None else "other"


class Pipeline:
    def __init__(self, settings: IngestSettings) -> None:
        self._settings = settings
        # None wakes the sender up for drain() and abandon()
        self._inbox: queue.SimpleQueue[InboundMessage | None] = queue.SimpleQueue()
        self._unacked: deque[InboundMessage] = deque()  # FIFO, as received; acks leave in the same order
        self._draining = threading.Event()
        context = multiprocessing.get_context(START_METHOD)
        self._abandon = context.Event()
        self._chunk_reader, self._chunk_writer = context.Pipe(duplex=False)
        self._outcome_reader, self._outcome_writer = context.Pipe(duplex=False)
        self._worker = context.Process(
            target=serve,
            name="ingest-worker",
            daemon=True,
            args=(settings, self._chunk_reader, self._outcome_writer, self._abandon, os.getpid()),
        )
        self.metrics = IngestMetrics(self.oldest_unacked_seconds)
        self._received_by_kind: dict[str, Counter] = {}
        self.consumer = BrokerConsumer(settings, self.receive)
        self.database_ok = False
        # Set when the worker ends on its own: the replica then exits non-zero so its supervisor restarts it.
        self.worker_lost = threading.Event()

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

    def start_worker(self) -> None:
        """Fork the worker; call before this replica's threads start, from a thread that outlives the
        worker (Linux delivers the parent-death signal when the forking *thread* ends)."""
        self._worker.start()
        # the worker's ends: closing them here makes the pipes reach end of file when the worker ends
        self._chunk_reader.close()
        self._outcome_writer.close()

    # --- pipeline thread --------------------------------------------------------------------------------
    def run(self) -> None:
        """Until :meth:`drain` (then everything received is committed and acked) or :meth:`abandon`."""
        outcomes = threading.Thread(target=self._apply_outcomes, name="ingest-outcomes", daemon=True)
        outcomes.start()
        with contextlib.suppress(OSError):  # the worker is gone: the outcome thread reports it
            self._send_chunks()
        outcomes.join()
        self._worker.join()

    def _send_chunks(self) -> None:
        while not self._abandon.is_set():
            message = self._inbox.get()
            chunk: list[RawMessage] = []
            while message is not None:
                self._count_received(message)
                chunk.append(raw(message))
                if len(chunk) >= CHUNK_MESSAGES:
                    break
                try:
                    message = self._inbox.get_nowait()
                except queue.Empty:
                    break
            if chunk:
                self._chunk_writer.send(chunk)
            if message is None and self._draining.is_set():
                if not self._abandon.is_set():
                    self._chunk_writer.send(None)
                return

    def _count_received(self, message: InboundMessage) -> None:
        kind = _topic_kind(message.topic)
        received = self._received_by_kind.get(kind)
        if received is None:  # labels() takes a lock and a lookup: done once per kind, not per message
            received = self._received_by_kind[kind] = self.metrics.received.labels(kind)
        received.inc()

    def drain(self) -> None:
        self.consumer.accepting = False
        self._draining.set()
        self._inbox.put(None)

    def abandon(self) -> None:
        """Stop retrying; whatever is not committed stays unacked on the broker."""
        self._abandon.set()
        self._inbox.put(None)

    # --- outcome thread ---------------------------------------------------------------------------------
    def _apply_outcomes(self) -> None:
        """Until the worker reports None (drained) or ends."""
        while True:
            try:
                outcome = self._outcome_reader.recv()
            except EOFError:
                if not self._abandon.is_set():
                    log.error(
                        "the ingest worker process ended; the replica stops so it can be restarted",
                        exitcode=self._worker.exitcode,
                    )
                    self.worker_lost.set()
                self._database_state(DatabaseState(ok=False))
                return
            if outcome is None:
                return
            if isinstance(outcome, DatabaseState):
                self._database_state(outcome)
            else:
                self._apply(outcome)

    def _database_state(self, state: DatabaseState) -> None:
        self.database_ok = state.ok
        self.metrics.database_connected.set(1 if state.ok else 0)
        if state.commit_failed:
            self.metrics.commit_failures.inc()

    def _apply(self, outcome: BatchOutcome) -> None:
        metrics, result = self.metrics, outcome.result
        if outcome.rows:
            metrics.commit_seconds.observe(outcome.seconds)
            metrics.batch_rows.observe(outcome.rows)
        metrics.stored.inc(result.stored)
        metrics.duplicates.inc(result.duplicates)
        metrics.late_days.inc(result.late_days)
        for reason in outcome.reject_reasons:
            metrics.rejected.labels(reason).inc()
        replies = iter(outcome.replies)
        reply = next(replies, None)
        acked = 0
        for index in range(outcome.messages):
            while reply is not None and reply[0] == index:  # a message's replies go out before its ack
                self.consumer.publish(reply[1])
                reply = next(replies, None)
            acked += self.consumer.ack(self._unacked.popleft())
        metrics.acked.inc(acked)
