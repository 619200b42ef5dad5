"""Commits closed batches on a thread of the worker process and reports each outcome to the main process.

Decoding the next batch overlaps the current commit: the database works in its own process and
psycopg releases the GIL while it waits, so the worker's decode thread keeps going meanwhile. One
committer per replica keeps outcomes in receive order (the main process acks in that order). A
failed commit is retried with backoff forever (nothing reported, so nothing acked, nothing
dropped); while it retries, at most ``BATCHES_WAITING`` closed batches queue up behind it and the
decode thread blocks, which bounds the memory held.
"""

from __future__ import annotations

import queue
import time
from collections.abc import Callable
from typing import Protocol

import psycopg
import structlog

from services.ingest.messages import Batch, BatchOutcome, DatabaseState, WriteResult
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


class Committer:
    def __init__(self, writer: Writer, report: Report, abandon: Abandon) -> None:
        self._writer = writer
        self._report = report
        self._abandon = abandon
        self._batches: queue.Queue[Batch | None] = queue.Queue(maxsize=BATCHES_WAITING)
        self._database_ok: bool | None = None

    # --- decode thread ------------------------------------------------------------------------------------
    def submit(self, batch: Batch | None) -> None:
        """Queue a closed batch (None: no more batches); blocks while the queue is full, unless abandoned."""
        while not self._abandon.is_set():
            try:
                self._batches.put(batch, timeout=SUBMIT_POLL_SECONDS)
                return
            except queue.Full:
                continue

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
                self.database_state(ok=False, commit_failed=True)
                log.warning(
                    "batch commit failed; retrying, nothing acked",
                    error=str(error).splitlines()[0],
                    messages=len(batch.entries),
                    retry_in=delay,
                )
                if self._abandon.wait(delay):
                    return
                delay = min(delay * 2, RETRY_MAX_SECONDS)
        self.database_state(ok=True)
        entries = batch.entries
        self._report(
            BatchOutcome(
                messages=len(entries),
                rows=batch.rows,
                seconds=time.perf_counter() - started,
                result=result,
                reject_reasons=tuple(reject.reason for _, decoded in entries for reject in decoded.rejects),
                replies=tuple(
                    (index, reply) for index, (_, decoded) in enumerate(entries) for reply in decoded.replies
                ),
            )
        )

    def _ping(self) -> None:
        try:
            self._writer.ping()
            self.database_state(ok=True)
        except psycopg.Error:
            self.database_state(ok=False)
