"""Batched writes: COPY into a staging table, then one INSERT … ON CONFLICT DO NOTHING per batch.

One transaction holds a batch's readings, its late-data recompute-queue bumps and its rejects, so
a message is either fully recorded (and may be acked) or not at all (and will be redelivered).
A re-sent reading conflicts on (station, parameter, time) and is counted as a duplicate.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import psycopg
from sqlalchemy.engine import make_url

from services.ingest.messages import Batch, WriteResult

STAGING_DDL = """
    create temporary table if not exists ingest_staging (
        time timestamptz not null, station text not null, parameter text not null,
        value double precision not null, flag text not null, source text not null,
        gateway text, received_at timestamptz not null
    ) on commit delete rows
"""
COPY_STAGING = ("copy ingest_staging (time, station, parameter, value, flag, source, gateway, received_at) "
                "from stdin")
# modified_at only ever moves forward, so the alerts service's "delete where modified_at ≤ what I
# read" can never swallow a bump made by a transaction that started earlier.
MERGE = """
    with inserted as (
        insert into readings (time, station, parameter, value, flag, source, gateway, received_at)
        select time, station, parameter, value, flag, source, gateway, received_at from ingest_staging
        on conflict do nothing
        returning station, time, received_at
    ), late as (
        select station, (time at time zone %(zone)s)::date as day, count(*)::integer as readings
        from inserted where time < received_at - %(late_after)s
        group by 1, 2
    ), queued as (
        insert into recompute_queue as queue (station, day, modified_at, readings)
        select station, day, clock_timestamp(), readings from late
        on conflict (station, day) do update
            set modified_at = greatest(clock_timestamp(), queue.modified_at + interval '1 microsecond'),
                readings = queue.readings + excluded.readings
        returning 1
    )
    select (select count(*) from inserted), (select count(*) from queued)
"""
COPY_REJECTS = "copy rejected_messages (received_at, topic, gateway, station, reason, detail, payload) from stdin"
NULL = "\\N"


def libpq_url(sqlalchemy_url: str) -> str:
    """``postgresql+psycopg://…`` → the plain libpq URL psycopg connects with."""
    return make_url(sqlalchemy_url).set(drivername="postgresql").render_as_string(hide_password=False)


def _copy_lines(batch: Batch) -> Iterator[str]:
    # Station, parameter and gateway come from the registry and the vocabulary (validated codes),
    # so they need no COPY escaping.
    for message, decoded in batch.entries:
        received = message.received_at.isoformat()
        for r in decoded.readings:
            yield (f"{r.time.isoformat()}\t{r.station}\t{r.parameter}\t{r.value}\t{r.flag}\t{r.source.value}\t"
                   f"{r.gateway or NULL}\t{received}\n")


class Writer:
    """Owns one psycopg connection; reconnects on the next write after a failure."""

    def __init__(self, database_url: str, *, zone: str, late_after: timedelta) -> None:
        self._url = libpq_url(database_url)
        self._params = {"zone": zone, "late_after": late_after}
        self._connection: psycopg.Connection[tuple[int, int]] | None = None

    def _connect(self) -> psycopg.Connection[tuple[int, int]]:
        if self._connection is None or self._connection.closed:
            # autocommit: each batch opens its own explicit transaction, and a ping never leaves one open
            connection: psycopg.Connection[tuple[int, int]] = psycopg.connect(self._url, autocommit=True)
            with connection.transaction():
                connection.execute(STAGING_DDL)
            self._connection = connection
        return self._connection

    def write(self, batch: Batch) -> WriteResult:
        """Commit a batch; raises psycopg.Error (the caller retries, nothing is acked)."""
        try:
            return self._write(batch)
        except psycopg.Error:
            self.close()
            raise

    def _write(self, batch: Batch) -> WriteResult:
        connection = self._connect()
        staged = sum(len(decoded.readings) for _, decoded in batch.entries)
        rejects = [(message, reject) for message, decoded in batch.entries for reject in decoded.rejects]
        stored = late_days = 0
        with connection.transaction(), connection.cursor() as cursor:
            if staged:
                with cursor.copy(COPY_STAGING) as copy:
                    copy.write("".join(_copy_lines(batch)))
                cursor.execute(MERGE, self._params)
                row = cursor.fetchone()
                assert row is not None  # the MERGE statement always returns one row
                stored, late_days = row
            if rejects:
                with cursor.copy(COPY_REJECTS) as copy:
                    for message, reject in rejects:
                        copy.write_row((message.received_at, message.topic, reject.gateway, reject.station,
                                        reject.reason, reject.detail, reject.payload or message.payload))
        return WriteResult(stored=stored, duplicates=staged - stored, rejects=len(rejects), late_days=late_days)

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
