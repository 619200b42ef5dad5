"""Batched writes: one transaction per batch, readings deduplicated on (station, parameter, time).

The fast path COPYs a batch straight into ``readings`` under a savepoint. Only when that hits a
duplicate (a redelivery or a re-sent reading: rare) does the batch go the slow way: COPY into a
staging table, then ``INSERT … ON CONFLICT DO NOTHING RETURNING``. COPY into the hypertable is
about twice as fast as ``INSERT … SELECT``, and the database is the bottleneck of a backlog drain.

On the slow path, a resent reading whose value or flag differs from the stored one becomes a
``conflicting_duplicate`` reject of its message (services.ingest.conflicts); the stored reading stays.
Readings sent as corrections replace stored ones, audited (services.ingest.corrections).

The same transaction holds the batch's late-data recompute-queue bumps, its rejects (capped per
message, services.ingest.rejects) and the clearing of the poison suspects it holds, so a message is
either fully recorded (and may be acked) or not at all (and will be redelivered).

The connection bounds every wait: ``statement_timeout`` (``ENVMON_INGEST_COMMIT_TIMEOUT``), a connect
timeout and TCP keepalives, so a stuck server or a dead link ends as a transient error that the
committer retries, never as a silent hang.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import date, datetime, timedelta
from itertools import groupby
from operator import itemgetter
from typing import cast

import psycopg
from psycopg import errors
from sqlalchemy.engine import make_url

from services.ingest.conflicts import DIFFERING, Stored, with_conflicts
from services.ingest.corrections import apply_corrections
from services.ingest.messages import Batch, WriteResult
from services.ingest.rejects import reject_rows
from services.standards.local_time import local_date

READING_COLUMNS = "time, station, parameter, value, flag, source, gateway, received_at"
STAGING_DDL = """
    create temporary table if not exists ingest_staging (
        time timestamptz not null, station text not null, parameter text not null,
        value double precision not null, flag text not null, source text not null,
        gateway text, received_at timestamptz not null
    ) on commit delete rows
"""
COPY_READINGS = f"copy readings ({READING_COLUMNS}) from stdin"
COPY_STAGING = f"copy ingest_staging ({READING_COLUMNS}) from stdin"
INSERT_STAGED = f"""
    insert into readings ({READING_COLUMNS}) select {READING_COLUMNS} from ingest_staging
    on conflict do nothing
    returning station, time, received_at
"""
# modified_at only ever moves forward, so the alerts service's "delete where modified_at ≤ what I
# read" can never swallow a bump made by a transaction that started earlier.
QUEUE_LATE_DAYS = """
    insert into recompute_queue as queue (station, day, modified_at, readings)
    select station, day, clock_timestamp(), readings
    from unnest(%(stations)s::text[], %(days)s::date[], %(counts)s::integer[]) as late(station, day, readings)
    on conflict (station, day) do update
        set modified_at = greatest(clock_timestamp(), queue.modified_at + interval '1 microsecond'),
            readings = queue.readings + excluded.readings
"""
COPY_REJECTS = (
    "copy rejected_messages (received_at, topic, gateway, station, reason, detail, payload, occurrences) from stdin"
)
CLEAR_SUSPECTS = "delete from ingest_suspects where fingerprint = any(%(fingerprints)s)"
NULL = "\\N"
STATION_AND_TIME = itemgetter(0, 2)  # of a Reading
CONNECT_TIMEOUT_SECONDS = 10
# TCP keepalive: a peer that vanished without a FIN is noticed within idle + interval × count.
KEEPALIVE_IDLE_SECONDS = 10
KEEPALIVE_INTERVAL_SECONDS = 5
KEEPALIVE_COUNT = 3


def libpq_url(sqlalchemy_url: str) -> str:
    """``postgresql+psycopg://…`` → the plain libpq URL psycopg connects with."""
    return make_url(sqlalchemy_url).set(drivername="postgresql").render_as_string(hide_password=False)


def copy_text(batch: Batch) -> str:
    """The readings of a batch as COPY text. Station, parameter and gateway come from the registry
    and the vocabulary (validated codes), so they need no escaping. The readings of one reading set
    share their time and station, those of one message their source and gateway: formatted once."""
    lines: list[str] = []
    for message, decoded in batch.entries:
        received = message.received_at.isoformat()
        time: object = None
        station: object = None
        source: object = None
        gateway: str | None = None
        prefix = suffix = ""
        for r in decoded.readings:
            if r.time is not time or r.station is not station:
                time, station, prefix = r.time, r.station, f"{r.time.isoformat()}\t{r.station}\t"
            if r.source is not source or r.gateway != gateway:
                source, gateway = r.source, r.gateway
                suffix = f"\t{r.source.value}\t{r.gateway or NULL}\t{received}\n"
            lines.append(f"{prefix}{r.parameter}\t{r.value!s}\t{r.flag}{suffix}")  # !s: str() is faster than format()
    return "".join(lines)


def late_days(
    stored: Iterable[tuple[str, datetime, datetime, int]], late_after: timedelta
) -> Counter[tuple[str, date]]:
    """Stored readings, as (station, time, received_at, how many) groups, that are more than
    ``late_after`` before their receipt, counted by station and Beijing-time day."""
    counts: Counter[tuple[str, date]] = Counter()
    for station, moment, received, readings in stored:
        if moment < received - late_after:
            counts[station, local_date(moment)] += readings
    return counts


def _batch_readings(batch: Batch) -> Iterator[tuple[str, datetime, datetime, int]]:
    """The readings of a batch grouped by station and time (one group per reading set, in practice)."""
    for message, decoded in batch.entries:
        received = message.received_at
        for (station, moment), group in groupby(decoded.readings, STATION_AND_TIME):
            yield station, moment, received, len(tuple(group))


class Writer:
    """Owns one psycopg connection; reconnects on the next write after a failure."""

    def __init__(self, database_url: str, *, late_after: timedelta, commit_timeout: timedelta) -> None:
        self._url = libpq_url(database_url)
        self._late_after = late_after
        self._statement_timeout_ms = int(commit_timeout.total_seconds() * 1000)
        self._connection: psycopg.Connection[tuple[object, ...]] | None = None

    def _connect(self) -> psycopg.Connection[tuple[object, ...]]:
        if self._connection is None or self._connection.closed:
            # autocommit: each batch opens its own explicit transaction, and a ping never leaves one open
            connection: psycopg.Connection[tuple[object, ...]] = psycopg.connect(
                self._url,
                autocommit=True,
                connect_timeout=CONNECT_TIMEOUT_SECONDS,
                keepalives=1,
                keepalives_idle=KEEPALIVE_IDLE_SECONDS,
                keepalives_interval=KEEPALIVE_INTERVAL_SECONDS,
                keepalives_count=KEEPALIVE_COUNT,
                options=f"-c statement_timeout={self._statement_timeout_ms}",
            )
            with connection.transaction():
                connection.execute(STAGING_DDL)
            self._connection = connection
        return self._connection

    def write(self, batch: Batch) -> WriteResult:
        """Commit a batch, or raise (nothing of it committed; services.ingest.failures says what next)."""
        try:
            return self._write(batch)
        except Exception:
            self.close()  # a fresh connection for the retry: this one may be mid-COPY or broken
            raise

    def _write(self, batch: Batch) -> WriteResult:
        connection = self._connect()
        entries = batch.entries  # replaced by a copy when the commit finds conflicting duplicates
        staged = sum(len(decoded.readings) for _, decoded in entries)
        stored, conflicts, corrected, late = 0, 0, 0, Counter[tuple[str, date]]()
        with connection.transaction(), connection.cursor() as cursor:
            if staged:
                text = copy_text(batch)
                try:
                    with connection.transaction(), cursor.copy(COPY_READINGS) as copy:
                        copy.write(text)
                    stored, late = staged, late_days(_batch_readings(batch), self._late_after)
                except errors.UniqueViolation:  # some were stored before: only the new ones go in
                    with cursor.copy(COPY_STAGING) as copy:
                        copy.write(text)
                    # the columns INSERT_STAGED returns
                    inserted = cast("list[tuple[str, datetime, datetime]]", cursor.execute(INSERT_STAGED).fetchall())
                    stored = len(inserted)
                    late = late_days(
                        ((station, moment, received, 1) for station, moment, received in inserted), self._late_after
                    )
                    differing = cast("list[Stored]", cursor.execute(DIFFERING).fetchall())
                    entries, conflicts = with_conflicts(entries, differing)
            for message, decoded in entries:
                if decoded.corrections:
                    changed = apply_corrections(cursor, message, decoded.corrections)
                    corrected += changed.total()
                    late += changed
            if late:
                (stations, days), counts = zip(*late, strict=True), list(late.values())
                cursor.execute(QUEUE_LATE_DAYS, {"stations": list(stations), "days": list(days), "counts": counts})
            rejects = sum(len(decoded.rejects) for _, decoded in entries)
            if rejects:
                with cursor.copy(COPY_REJECTS) as copy:
                    for message, decoded in entries:
                        if decoded.rejects:
                            for row in reject_rows(message, decoded.rejects):
                                copy.write_row(row)
            if batch.cleared:
                cursor.execute(CLEAR_SUSPECTS, {"fingerprints": batch.cleared})
        batch.entries[:] = entries  # committed: the outcome (replies, counts) reports the conflicts too
        corrections = sum(len(decoded.corrections) for _, decoded in entries)
        return WriteResult(
            stored=stored,
            duplicates=staged - stored - conflicts + corrections - corrected,
            rejects=rejects,
            late_days=len(late),
            corrected=corrected,
        )

    def ping(self) -> None:
        try:
            self._connect().execute("select 1")
        except psycopg.Error:
            self.close()
            raise

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
