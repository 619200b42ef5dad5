"""The main process's side of the ingest loop: hand received messages to the worker process, then
publish the replies and ack the messages of each batch it reports committed, in receive order;
and keep a worker running.

Three threads here: the MQTT network thread appends each message to the unacked queue and the
inbox; the sender thread ships whatever the inbox holds to the worker (services.ingest.worker),
one chunk per pipe write; the outcome thread applies each :class:`BatchOutcome` to the oldest
unacked messages. Receipt never waits for a commit: only the broker's in-flight window bounds
what is held, so the worker's decode and commit run alongside receipt.

Supervision (the outcome thread): when the worker dies, or makes no progress on one message for
``ingest_stall_timeout`` (then it is killed), the messages it was decoding or committing become
poison suspects (services.ingest.progress, .suspects) and a new worker starts with them, after a
backoff if the last one died young. Everything unacked is sent to it again, in order; acks stay
valid, since the broker connection never changed. Workers are forked by a fork server, a small
single-threaded process started with the first worker: forking this multi-threaded process
itself could copy a lock that another thread holds.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import signal
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Literal

import structlog
from prometheus_client import Counter

from services.ingest.consumer import BrokerConsumer
from services.ingest.decode import is_platform_output, parse_inbound
from services.ingest.messages import BatchOutcome, DatabaseState, InboundMessage, RejectReason
from services.ingest.metrics import IngestMetrics
from services.ingest.progress import IDLE, Progress, ProgressSnapshot
from services.ingest.settings import IngestSettings
from services.ingest.suspects import Suspect, fingerprint
from services.ingest.worker import RawMessage, raw, serve

# Messages per pipe write, at most: big enough that pickling and the write are cheap per message,
# small enough that the worker starts decoding while the rest of a burst still arrives.
CHUNK_MESSAGES = 500
START_METHOD: Literal["forkserver"] = "forkserver"
WATCH_SECONDS = 1.0  # how often the outcome thread looks for a stalled worker
# A worker that dies within this long of its start is restarted after a growing delay.
RESTART_YOUNG_SECONDS = 30.0
RESTART_BACKOFF_SECONDS = (0.0, 1.0, 2.0, 5.0, 10.0, 30.0)
REAP_SECONDS = 10.0
DECODING, COMMITTING = "decoding", "committing"

log = structlog.get_logger(__name__)

WorkerEntry = Callable[..., None]  # the signature of services.ingest.worker.serve


def _topic_kind(topic: str) -> str:
    """The received-messages metric label of a topic."""
    if is_platform_output(topic):
        return "platform"
    inbound = parse_inbound(topic)
    return inbound.kind.value if inbound is not None else "other"


@dataclass(frozen=True, slots=True)
class WorkerLink:
    """One worker process, the main process's ends of its two pipes, and its progress cells."""

    process: BaseProcess
    chunks: Connection
    outcomes: Connection
    progress: Progress
    started: float  # time.monotonic()
    suspects: tuple[Suspect, ...]  # handed to it to record before anything else


@dataclass(frozen=True, slots=True)
class Relink:
    """Inbox marker: from here on, send to ``link``, starting with everything still unacked."""

    link: WorkerLink
    resend: tuple[InboundMessage, ...]


class _Marker:
    def __init__(self, name: str) -> None:
        self.name = name


STOP = _Marker("the outcome thread has finished, so has the sender")
NOTHING = _Marker("no inbox item is pending")
InboxItem = InboundMessage | Relink | _Marker | None  # None wakes the sender up for drain() and abandon()


@dataclass(slots=True)
class _Watch:
    """What the watchdog saw last, to tell a stall (the same message for too long) from progress."""

    decoding: int = IDLE
    decoding_since: float = 0.0
    commit: tuple[int, int] = (IDLE, 0)
    commit_since: float = 0.0


class Pipeline:
    def __init__(self, settings: IngestSettings, worker_entry: WorkerEntry = serve) -> None:
        self._settings = settings
        self._worker_entry = worker_entry
        self._inbox: queue.SimpleQueue[InboxItem] = queue.SimpleQueue()
        self._unacked: deque[InboundMessage] = deque()  # FIFO, as received; acks leave in the same order
        self._lock = threading.Lock()  # receipt vs. a worker restart's snapshot of the unacked messages
        self._draining = threading.Event()
        self._context = multiprocessing.get_context(START_METHOD)
        self._context.set_forkserver_preload([worker_entry.__module__])
        self._abandon = self._context.Event()
        self._link: WorkerLink | None = None
        self._restarts = 0
        self._stall: tuple[str, str] | None = None  # (stage, why) the watchdog killed the current worker
        self._watch = _Watch()
        self.metrics = IngestMetrics(self.oldest_unacked_seconds)
        self._received_by_kind: dict[str, Counter] = {}
        self.consumer = BrokerConsumer(settings, self.receive, self.metrics)
        self.database_ok = False
        # Set when a thread of this process fails: the replica then exits non-zero for its supervisor.
        self.failed = threading.Event()

    # --- MQTT network thread ---------------------------------------------------------------------------
    def receive(self, message: InboundMessage) -> None:
        with self._lock:
            self._unacked.append(message)
            self._inbox.put(message)

    def oldest_unacked_seconds(self) -> float:
        try:
            oldest = self._unacked[0]
        except IndexError:
            return 0.0
        return (datetime.now(UTC) - oldest.received_at).total_seconds()

    @property
    def worker_running(self) -> bool:
        link = self._link
        return link is not None and link.process.is_alive() and link.progress.snapshot().ready

    # --- worker processes --------------------------------------------------------------------------------
    def start_worker(self) -> None:
        self._link = self._start_link(())

    def _start_link(self, suspects: tuple[Suspect, ...]) -> WorkerLink:
        context = self._context
        chunk_reader, chunk_writer = context.Pipe(duplex=False)
        outcome_reader, outcome_writer = context.Pipe(duplex=False)
        progress = Progress(context)
        process = context.Process(
            target=self._worker_entry,
            name="ingest-worker",
            daemon=True,
            args=(self._settings, chunk_reader, outcome_writer, self._abandon, progress, list(suspects)),
        )
        process.start()
        # the worker's ends: closing them here makes the pipes reach end of file when the worker ends
        chunk_reader.close()
        outcome_writer.close()
        return WorkerLink(process, chunk_writer, outcome_reader, progress, time.monotonic(), suspects)

    def _replace_worker(self, link: WorkerLink) -> None:
        """The worker ended on its own or was killed: blame, back off, start a new one, resend."""
        link.process.join(REAP_SECONDS)
        progress = link.progress.snapshot()
        error = self._death(link, progress)
        blamed = self._blamed(progress)
        with self._lock:  # the network thread appends while we look (iterating a deque it mutates raises)
            unacked = tuple(self._unacked)
        suspects = tuple(
            Suspect(fingerprint(message.topic, message.payload), message.topic, error, progress.isolated)
            for message in unacked
            if message.seq in blamed
        )
        if not progress.ready:  # it died before recording its predecessor's suspects: hand them on
            suspects = link.suspects + suspects
        cause = "stalled" if self._stall else "died"
        self.metrics.worker_restarts.labels(cause).inc()
        log.error(
            "the ingest worker process ended; starting a new one",
            error=error,
            suspects=len(suspects),
            unacked=len(unacked),
        )
        self._stall, self._watch = None, _Watch()
        young = time.monotonic() - link.started < RESTART_YOUNG_SECONDS
        self._restarts = self._restarts + 1 if young else 0
        delay = RESTART_BACKOFF_SECONDS[min(self._restarts, len(RESTART_BACKOFF_SECONDS) - 1)]
        if self._abandon.wait(delay):
            return
        with self._lock:
            self._link = self._start_link(suspects)
            self._inbox.put(Relink(self._link, tuple(self._unacked)))

    def _death(self, link: WorkerLink, progress: ProgressSnapshot) -> str:
        """How the worker ended, for the suspects' ``last_error``."""
        if self._stall:
            return self._stall[1]
        code = link.process.exitcode
        how = (
            f"killed by {signal.Signals(-code).name}" if code is not None and code < 0 else f"exited with status {code}"
        )
        where = [
            stage
            for stage, active in ((DECODING, progress.decoding != IDLE), (COMMITTING, progress.commit_first != IDLE))
            if active
        ]
        return f"the ingest worker was {how} while {' and '.join(where) or 'idle'}"

    def _blamed(self, progress: ProgressSnapshot) -> set[int]:
        if not progress.ready:
            return set()
        if self._stall:  # only the stage that stalled
            stage = self._stall[0]
            return progress.suspects(decoding=stage == DECODING, committing=stage == COMMITTING)
        return progress.suspects()

    def _check_stall(self, link: WorkerLink) -> None:
        progress, now, watch = link.progress.snapshot(), time.monotonic(), self._watch
        stall_seconds = self._settings.ingest_stall_timeout.total_seconds()
        commit_seconds = self._settings.ingest_commit_timeout.total_seconds() + stall_seconds
        if progress.decoding != watch.decoding:
            watch.decoding, watch.decoding_since = progress.decoding, now
        commit = (progress.commit_first, progress.commit_attempt)
        if commit != watch.commit:
            watch.commit, watch.commit_since = commit, now
        if progress.decoding != IDLE and now - watch.decoding_since > stall_seconds:
            self._stall = (DECODING, f"the ingest worker made no progress for {stall_seconds:.0f} s while {DECODING}")
        elif progress.commit_first != IDLE and now - watch.commit_since > commit_seconds:
            self._stall = (
                COMMITTING,
                f"the ingest worker made no progress for {commit_seconds:.0f} s while {COMMITTING}",
            )
        if self._stall and link.process.pid is not None:
            log.error("the ingest worker stalled; killing it", reason=self._stall[1])
            os.kill(link.process.pid, signal.SIGKILL)

    # --- pipeline thread --------------------------------------------------------------------------------
    def run(self) -> None:
        """Until :meth:`drain` (then everything received is committed and acked) or :meth:`abandon`."""
        outcomes = threading.Thread(target=self._guarded(self._apply_outcomes), name="ingest-outcomes", daemon=True)
        outcomes.start()
        self._guarded(self._send_chunks)()
        outcomes.join()
        if self._link is not None:
            self._link.process.join(REAP_SECONDS)

    def _guarded(self, target: Callable[[], None]) -> Callable[[], None]:
        """A thread target whose failure stops the replica (crash-only) instead of passing unnoticed."""

        def run() -> None:
            try:
                target()
            except Exception:
                log.exception("an ingest pipeline thread failed; the replica stops so it can be restarted")
                self.failed.set()
                self.abandon()

        return run

    def _send_chunks(self) -> None:
        link = self._link
        assert link is not None, "start_worker() first"
        drain_sent = False
        pending: InboxItem = NOTHING
        while not self._abandon.is_set():
            item, pending = (self._inbox.get() if pending is NOTHING else pending), NOTHING
            if item is STOP:
                return
            if item is None:
                if self._draining.is_set() and not drain_sent:
                    drain_sent = self._send(link, None)
                continue
            if isinstance(item, Relink):
                link = item.link
                for start in range(0, len(item.resend), CHUNK_MESSAGES):
                    self._send(link, [raw(message) for message in item.resend[start : start + CHUNK_MESSAGES]])
                if drain_sent:
                    self._send(link, None)
                continue
            assert isinstance(item, InboundMessage)
            self._count_received(item)
            chunk: list[RawMessage] = [raw(item)]
            while len(chunk) < CHUNK_MESSAGES:
                try:
                    following = self._inbox.get_nowait()
                except queue.Empty:
                    break
                if not isinstance(following, InboundMessage):
                    pending = following
                    break
                self._count_received(following)
                chunk.append(raw(following))
            self._send(link, chunk)

    @staticmethod
    def _send(link: WorkerLink, chunk: list[RawMessage] | None) -> bool:
        """False when the worker is gone: what it missed is still unacked and goes to its successor."""
        try:
            link.chunks.send(chunk)
            return True
        except OSError:
            return False

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
        """Until the worker reports None (drained) or the service gives up; replaces dead workers."""
        try:
            last_check = time.monotonic()
            while not self._abandon.is_set():
                link = self._link
                assert link is not None
                if link.outcomes.poll(WATCH_SECONDS):
                    try:
                        outcome = link.outcomes.recv()
                    except (EOFError, OSError):
                        self._database_state(DatabaseState(ok=False))
                        self._replace_worker(link)
                        continue
                    if outcome is None:
                        return
                    if isinstance(outcome, BatchOutcome):
                        self._apply(outcome)
                    else:
                        self._database_state(outcome)
                if time.monotonic() - last_check >= WATCH_SECONDS:
                    last_check = time.monotonic()
                    self._check_stall(link)
        finally:
            self._inbox.put(STOP)

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
        metrics.corrected.inc(result.corrected)
        metrics.late_days.inc(result.late_days)
        for reason, count in outcome.reject_counts:
            metrics.rejected.labels(reason).inc(count)
            if reason == RejectReason.POISON:
                metrics.poison.inc(count)
        replies = iter(outcome.replies)
        reply = next(replies, None)
        acked = 0
        for index in range(outcome.messages):
            while reply is not None and reply[0] == index:  # a message's replies go out before its ack
                self.consumer.publish(reply[1])
                reply = next(replies, None)
            acked += self.consumer.ack(self._unacked.popleft())
        metrics.acked.inc(acked)
