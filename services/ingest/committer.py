"""Commits closed batches on a thread of the worker process and reports each outcome to the main process.

Decoding the next batch overlaps the current commit: the database works in its own process and
psycopg releases the GIL while it waits, so the worker's decode thread keeps going meanwhile. One
committer per replica keeps outcomes in receive order (the main process acks in that order).

Failures (services.ingest.failures):

- transient (connection, timeouts, the server's resources): the same batch is retried with backoff,
  forever; nothing is reported, so nothing is acked and nothing is dropped. While it retries, at most
  ``BATCHES_WAITING`` closed batches queue up behind it and the decode thread blocks, which bounds
  the memory held;
- anything else: the batch is bisected, each half committed on its own, down to the single message
  that fails, which is then committed as a reject of its own (``database_refused`` or
  ``internal_error``, with the error). The good messages of the batch are stored; the happy path
  does not pay for this.

Rejects replies to JSON gateways are made here, after the commit, from everything the message's
outcome holds (services.ingest.rejects).
"""

from __future__ import annotations

import queue
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Protocol

import structlog

from services.ingest.decode import refused
from services.ingest.failures import describe, is_transient, refusal_reason
from services.ingest.messages import Batch, BatchOutcome, DatabaseState, Decoded, Publication, WriteResult
from services.ingest.progress import Progress
from services.ingest.rejects import rejects_reply
from services.ingest.writer import Writer

RETRY_MIN_SECONDS = 0.5
RETRY_MAX_SECONDS = 5.0
IDLE_PING_SECONDS = 5.0  # keeps /readyz honest about the database while no data flows
BATCHES_WAITING = 1  # closed batches queued behind the one being committed
SUBMIT_POLL_SECONDS = 0.5  # how often a blocked submit checks whether the service gave up
NOTHING = WriteResult(stored=0, duplicates=0, rejects=0)

log = structlog.get_logger(__name__)

Report = Callable[[BatchOutcome | DatabaseState], None]


class Abandon(Protocol):
    """A threading or multiprocessing Event: set when the service gives up on what is not committed."""

    def is_set(self) -> bool: ...

    def wait(self, timeout: float | None = None) -> bool: ...


class Abandoned(Exception):
    """The service gave up while a commit was being retried."""


def _merge(first: WriteResult, second: WriteResult) -> WriteResult:
    return WriteResult(
        stored=first.stored + second.stored,
        duplicates=first.duplicates + second.duplicates,
        rejects=first.rejects + second.rejects,
        late_days=first.late_days + second.late_days,
        corrected=first.corrected + second.corrected,
    )


class Committer:
    def __init__(self, writer: Writer, report: Report, abandon: Abandon, progress: Progress) -> None:
        self._writer = writer
        self._report = report
        self._abandon = abandon
        self._progress = progress
        self._batches: queue.Queue[Batch | None] = queue.Queue(maxsize=BATCHES_WAITING)
        self._idle = threading.Condition()
        self._unfinished = 0  # batches submitted and not yet reported
        self._database_ok: bool | None = None

    # --- decode thread ------------------------------------------------------------------------------------
    def submit(self, batch: Batch | None) -> None:
        """Queue a closed batch (None: no more batches); blocks while the queue is full, unless abandoned."""
        if batch is not None:
            with self._idle:
                self._unfinished += 1
        while not self._abandon.is_set():
            try:
                self._batches.put(batch, timeout=SUBMIT_POLL_SECONDS)
                return
            except queue.Full:
                continue

    def wait_idle(self) -> None:
        """Until every submitted batch is committed and reported (or the service gives up)."""
        with self._idle:
            while self._unfinished and not self._abandon.is_set():
                self._idle.wait(SUBMIT_POLL_SECONDS)

    def database_state(self, *, ok: bool, commit_failed: bool = False) -> None:
        """Reported on every change and every failed commit, not on every success (one message per batch is enough)."""
        if ok != self._database_ok or commit_failed:
            self._database_ok = ok
            self._report(DatabaseState(ok, commit_failed))

    # --- committer thread --------------------------------------------------------------------------------
    def run(self) -> None:
        """Until the None batch (everything before it committed and reported) or abandonment."""
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
            try:
                self._commit(batch)
            except Abandoned:
                return
            finally:
                self._progress.committed()
            with self._idle:
                self._unfinished -= 1
                self._idle.notify_all()
            last_activity = time.monotonic()

    def _commit(self, batch: Batch) -> None:
        started = time.perf_counter()
        result = self._write_or_bisect(batch) if batch.rows or batch.cleared else NOTHING
        self.database_state(ok=True)
        entries = batch.entries
        reasons: Counter[str] = Counter()
        replies: list[tuple[int, Publication]] = []
        for index, (message, decoded) in enumerate(entries):
            reasons.update(reject.reason for reject in decoded.rejects)
            replies += ((index, reply) for reply in decoded.replies)
            if decoded.rejects and (reply := rejects_reply(message, len(decoded.readings), decoded.rejects)):
                replies.append((index, reply))
        self._report(
            BatchOutcome(
                messages=len(entries),
                rows=batch.rows,
                seconds=time.perf_counter() - started,
                result=result,
                reject_counts=tuple(reasons.items()),
                replies=tuple(replies),
            )
        )

    def _write_or_bisect(self, batch: Batch) -> WriteResult:
        """Commit ``batch``; on a failure that is not transient, commit its halves (or reject its only
        message). Replaces the entries of rejected messages in ``batch`` so the outcome reports them."""
        try:
            return self._write(batch)
        except Exception as error:
            failure = error
        if len(batch.entries) == 1:
            message, decoded = batch.entries[0]
            log.warning("message refused at commit", topic=message.topic[:200], error=describe(failure))
            # Its HJ 212 reply still goes out: the frame was received and recorded, a resend would fail alike.
            rejected = refused(message, refusal_reason(failure), describe(failure)).rejects
            batch.entries[0] = (message, Decoded(rejects=rejected, replies=decoded.replies))
            return self._write(batch, fallback=True)
        log.warning("batch commit failed; bisecting", messages=len(batch.entries), error=describe(failure))
        middle = len(batch.entries) // 2
        halves = [
            Batch(entries=batch.entries[:middle], cleared=batch.cleared),
            Batch(entries=batch.entries[middle:]),
        ]
        result = _merge(*(self._write_or_bisect(half) for half in halves))
        batch.entries[:] = halves[0].entries + halves[1].entries
        return result

    def _write(self, batch: Batch, *, fallback: bool = False) -> WriteResult:
        """Commit one (sub)batch, retrying transient failures with backoff; raises any other failure,
        except for a message's own reject (``fallback``), which only the database can stop."""
        delay = RETRY_MIN_SECONDS
        first, last = batch.seqs
        while True:
            self._progress.committing(first, last)
            try:
                return self._writer.write(batch)
            except Exception as error:
                if not (fallback or is_transient(error)):
                    raise
                self.database_state(ok=False, commit_failed=True)
                log.warning(
                    "batch commit failed; retrying, nothing acked",
                    error=describe(error),
                    messages=len(batch.entries),
                    retry_in=delay,
                )
                if self._abandon.wait(delay):
                    raise Abandoned from error
                delay = min(delay * 2, RETRY_MAX_SECONDS)

    def _ping(self) -> None:
        try:
            self._writer.ping()
            self.database_state(ok=True)
        except Exception as error:
            log.debug("database ping failed", error=describe(error))
            self.database_state(ok=False)
