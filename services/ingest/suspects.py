"""Poison quarantine: messages that were in the worker when it died or stalled, kept in the database.

When the worker process dies or stalls, the main process blames the messages it was decoding or
committing (services.ingest.progress) and the next worker records them here, one more crash each,
before it takes any message. A suspect is then processed *on its own*: its crash is counted before
the attempt (so a crash during the attempt is already on record), and the row is deleted in the
transaction that commits it. A suspect with ``poison_crashes`` crashes is not decoded again: it is
rejected as ``poison`` with the last error, acked and counted. Crash loops therefore end after at
most ``poison_crashes`` worker deaths per message, across restarts and replicas, and innocent
messages that shared a batch with the culprit cost one solo commit each.

The fingerprint is sha256 over topic and payload: a redelivery has the same one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Engine, case, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert

from services.storage.schema import ingest_suspects

# A suspect that has not come back for this long is forgotten (the broker has long dropped it).
FORGET_AFTER = timedelta(days=14)


def fingerprint(topic: str, payload: bytes) -> bytes:
    return hashlib.sha256(topic.encode("utf-8", "surrogateescape") + b"\0" + payload).digest()


@dataclass(frozen=True, slots=True)
class Suspect:
    fingerprint: bytes
    topic: str
    error: str
    counted: bool  # processed on its own: its crash was counted before the attempt


@dataclass(frozen=True, slots=True)
class Attempt:
    """What a solo attempt may do: ``crashes`` so far (including this attempt) and the last error."""

    crashes: int
    last_error: str
    quarantine: bool  # crashed ``poison_crashes`` times already: reject it, do not decode it


class SuspectStore:
    """The ``ingest_suspects`` table, used by the worker's decode thread (the writer deletes rows on commit)."""

    def __init__(self, engine: Engine, poison_crashes: int) -> None:
        self._engine = engine
        self._poison_crashes = poison_crashes

    def record(self, suspects: Sequence[Suspect]) -> None:
        """One more crash for each suspect whose crash was not counted beforehand, and the latest error."""
        if not suspects:
            return
        statement = insert(ingest_suspects).values(
            [
                {"fingerprint": s.fingerprint, "topic": s.topic[:1000], "crashes": 1, "last_error": s.error}
                for s in suspects
            ]
        )
        counted = {s.fingerprint for s in suspects if s.counted}
        statement = statement.on_conflict_do_update(
            index_elements=[ingest_suspects.c.fingerprint],
            set_={
                "crashes": ingest_suspects.c.crashes + case((ingest_suspects.c.fingerprint.in_(counted), 0), else_=1)
                if counted
                else ingest_suspects.c.crashes + 1,
                "last_error": statement.excluded.last_error,
                "last_at": func.now(),
            },
        )
        with self._engine.begin() as connection:
            connection.execute(statement)

    def load(self) -> dict[bytes, int]:
        """Every suspect (fingerprint → crashes), after forgetting the stale ones."""
        with self._engine.begin() as connection:
            connection.execute(delete(ingest_suspects).where(ingest_suspects.c.last_at < func.now() - FORGET_AFTER))
            rows = connection.execute(select(ingest_suspects.c.fingerprint, ingest_suspects.c.crashes))
            return {bytes(fp): crashes for fp, crashes in rows}

    def begin_attempt(self, fingerprint: bytes) -> Attempt | None:
        """Count the coming solo attempt as a crash (undone by its commit); None if the suspect is gone."""
        with self._engine.begin() as connection:
            counted = connection.execute(
                update(ingest_suspects)
                .where(ingest_suspects.c.fingerprint == fingerprint, ingest_suspects.c.crashes < self._poison_crashes)
                .values(crashes=ingest_suspects.c.crashes + 1, last_at=func.now())
                .returning(ingest_suspects.c.crashes, ingest_suspects.c.last_error)
            ).first()
            if counted is not None:
                return Attempt(counted.crashes, counted.last_error, quarantine=False)
            row = connection.execute(
                select(ingest_suspects.c.crashes, ingest_suspects.c.last_error).where(
                    ingest_suspects.c.fingerprint == fingerprint
                )
            ).first()
        return None if row is None else Attempt(row.crashes, row.last_error, quarantine=True)
