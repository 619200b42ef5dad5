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

Failures never end a thread silently: an exception while decoding a message rejects that message
(``internal_error``, logged with its traceback); the committer classifies commit failures
(services.ingest.committer); anything else that escapes a thread ends the whole process with
status 70, which the main process sees as a crash. The main process restarts the worker and names
the messages it held as suspects (services.ingest.suspects): they are recorded before anything else,
then each is processed on its own when it comes back, and quarantined as ``poison`` once it has
crashed or stalled the worker ``poison_crashes`` times.

The process dies with its parent: it asks Linux for SIGKILL when its parent (the fork server) dies,
and leaves when its pipe reaches end of file. An uncommitted batch is then simply never acked, and
the broker redelivers it.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Event
from typing import TypeVar

import structlog
from sqlalchemy.exc import SQLAlchemyError

from services.common.logging import configure_logging
from services.ingest.committer import IDLE_PING_SECONDS, RETRY_MIN_SECONDS, Abandon, Abandoned, Committer
from services.ingest.decode import REGISTRY_REASONS, DecodeLimits, decode, refused
from services.ingest.failures import describe
from services.ingest.interpreter import tune_interpreter
from services.ingest.messages import Batch, BatchOutcome, DatabaseState, Decoded, InboundMessage, RejectReason
from services.ingest.progress import Progress
from services.ingest.registry import RegistryCache, RegistrySnapshot
from services.ingest.settings import IngestSettings
from services.ingest.suspects import Suspect, SuspectStore, fingerprint
from services.ingest.writer import Writer
from services.storage.engine import make_engine

# (seq, mid, qos, topic, payload, received_at, generation, correlation_data, gateway): InboundMessage's
# fields as a plain tuple, which pickles several times faster than the dataclass.
RawMessage = tuple[int, int, int, str, bytes, datetime, int, bytes | None, str | None]
PR_SET_PDEATHSIG = 1  # linux/prctl.h
THREAD_FAILED_EXIT_STATUS = 70  # EX_SOFTWARE: the main process restarts the worker

log = structlog.get_logger(__name__)
T = TypeVar("T")


def raw(message: InboundMessage) -> RawMessage:
    return (
        message.seq,
        message.mid,
        message.qos,
        message.topic,
        message.payload,
        message.received_at,
        message.generation,
        message.correlation_data,
        message.gateway,
    )


def _die_with_parent() -> None:
    if sys.platform == "linux":
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def serve(
    settings: IngestSettings,
    chunks: Connection,
    outcomes: Connection,
    abandon: Event,
    progress: Progress,
    suspects: list[Suspect],
) -> None:
    """The worker process's entry point."""
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the parent decides
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    configure_logging(settings.log_level)
    tune_interpreter()
    engine = make_engine(settings.database_url, pool_size=1)
    writer = Writer(
        settings.database_url, late_after=settings.ingest_late_after, commit_timeout=settings.ingest_commit_timeout
    )
    try:
        worker = Worker(
            settings,
            RegistryCache(engine, settings.ingest_registry_refresh),
            SuspectStore(engine, settings.ingest_poison_crashes),
            writer,
            outcomes,
            abandon,
            progress,
        )
        worker.run(chunks, suspects)
    finally:
        writer.close()
        engine.dispose()


def _fatal_on_error(target: Callable[[], None], name: str) -> Callable[[], None]:
    """A thread target whose unexpected failure ends the process, loudly, instead of the thread alone."""

    def run() -> None:
        try:
            target()
        except BaseException:
            log.exception("ingest worker thread failed; the worker stops and is restarted", thread=name)
            os._exit(THREAD_FAILED_EXIT_STATUS)

    return run


class Worker:
    def __init__(
        self,
        settings: IngestSettings,
        registry: RegistryCache,
        suspect_store: SuspectStore,
        writer: Writer,
        outcomes: Connection,
        abandon: Abandon,
        progress: Progress,
    ) -> None:
        self._settings = settings
        self._registry = registry
        self._suspect_store = suspect_store
        self._outcomes = outcomes
        self._abandon = abandon
        self._progress = progress
        self._limits = DecodeLimits(
            settings.ingest_max_payload_bytes,
            settings.ingest_max_readings_per_message,
            settings.ingest_max_future,
            settings.ingest_earliest,
        )
        self._committer = Committer(writer, self._report, abandon, progress)
        self._report_lock = threading.Lock()  # the decode and committer threads both report
        self._suspects: dict[bytes, int] = {}  # fingerprint → crashes; empty on the happy path

    def _report(self, outcome: BatchOutcome | DatabaseState | None) -> None:
        with self._report_lock:
            self._outcomes.send(outcome)

    def _until_database(self, operation: Callable[[], T]) -> T:
        """``operation()``, retried while the database fails; raises Abandoned if the service gives up."""
        while not self._abandon.is_set():
            try:
                return operation()
            except SQLAlchemyError as error:
                log.warning("database unavailable; waiting", error=describe(error))
                self._committer.database_state(ok=False)
                self._abandon.wait(RETRY_MIN_SECONDS)
        raise Abandoned

    def _start(self, suspects: list[Suspect]) -> None:
        """Record the suspects of the previous worker's death, load every suspect and the registry."""
        self._until_database(lambda: self._suspect_store.record(suspects))
        self._suspects = self._until_database(self._suspect_store.load)
        # Without the registry every message would look like an unknown station: wait for the database.
        self._until_database(self._registry.load)
        if self._suspects:
            log.warning("poison suspects to process on their own", new=len(suspects), known=len(self._suspects))
        self._progress.ready()

    def run(self, chunks: Connection, suspects: list[Suspect]) -> None:
        """Until a None chunk (then everything received is committed and reported), abandonment or end of file."""
        committer = threading.Thread(
            target=_fatal_on_error(self._committer.run, "commit"), name="ingest-commit", daemon=True
        )
        committer.start()
        try:
            self._start(suspects)
            drained = self._consume(chunks)
        except Abandoned:
            drained = False
        self._committer.submit(None)
        committer.join()
        if drained and not self._abandon.is_set():
            self._report(None)

    def _consume(self, chunks: Connection) -> bool:
        """Decode and batch until drained (True), end of file or abandonment (False)."""
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
                    return False
            draining = chunk is None
            for fields in chunk or ():
                message = InboundMessage(*fields)
                if self._suspects and (print_ := fingerprint(message.topic, message.payload)) in self._suspects:
                    batch = self._isolated(message, print_, batch)
                    continue
                batch.add(message, self._decode(message))
                deadline = min(deadline, time.monotonic() + flush_seconds)
            if batch.entries and (
                batch.rows >= self._settings.ingest_batch_rows or time.monotonic() >= deadline or draining
            ):
                self._committer.submit(batch)
                batch, deadline = Batch(), float("inf")
            if draining:
                return True
        return False

    def _isolated(self, message: InboundMessage, print_: bytes, batch: Batch) -> Batch:
        """Process a suspect on its own: commit what came before it, count its coming attempt as a
        crash, then decode and commit it alone (or quarantine it); returns the next, empty batch."""
        if batch.entries:
            self._committer.submit(batch)
        self._committer.wait_idle()
        self._progress.isolate(True)
        try:
            attempt = self._until_database(lambda: self._suspect_store.begin_attempt(print_))
            solo = Batch()
            if attempt is None:  # cleared meanwhile (e.g. by another replica): an ordinary message again
                del self._suspects[print_]
                solo.add(message, self._decode(message))
            elif attempt.quarantine:  # the row stays: later copies are quarantined without decoding
                detail = (
                    f"this message was in the ingest worker when it crashed or stalled {attempt.crashes} times;"
                    f" quarantined without decoding it again. Last: {attempt.last_error}"
                )
                log.error("poison message quarantined", topic=message.topic[:200], crashes=attempt.crashes)
                solo.add(message, refused(message, RejectReason.POISON, detail))
            else:
                log.warning(
                    "processing a poison suspect on its own", topic=message.topic[:200], attempt=attempt.crashes
                )
                del self._suspects[print_]
                solo.add(message, self._decode(message))
                solo.cleared.append(print_)
            self._committer.submit(solo)
            self._committer.wait_idle()
        finally:
            self._progress.isolate(False)
        return Batch()

    def _decode(self, message: InboundMessage) -> Decoded:
        snapshot = self._registry.current()
        decoded = self._decode_with(message, snapshot)
        if any(reject.reason in REGISTRY_REASONS for reject in decoded.rejects):
            fresher = self._registry.miss()
            if fresher is not snapshot:
                decoded = self._decode_with(message, fresher)
        return decoded

    def _decode_with(self, message: InboundMessage, snapshot: RegistrySnapshot) -> Decoded:
        self._progress.decoding(message.seq)
        try:
            return decode(message, snapshot, datetime.now(UTC), self._limits)
        except Exception as error:  # a bug this message triggers must cost this message only
            log.exception("decoding a message failed; it is rejected", topic=message.topic[:200])
            return refused(message, RejectReason.INTERNAL_ERROR, f"decoding failed: {describe(error)}")
        finally:
            self._progress.decoded()
