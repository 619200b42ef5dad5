"""Conflicting duplicates: a resent reading whose value or flag differs from the one stored.

The stored reading is kept (a reading, once stored, changes only by an explicit, audited correction:
services.ingest.corrections) and the resent one becomes a ``conflicting_duplicate`` reject of its
message, with a row and a reply that say what is stored and how to correct it. Identical resends
(redeliveries, a gateway's retries) stay plain duplicates.

Found only on the writer's slow path (a batch that hit the primary key), from the staging table the
batch was copied into: the happy path does not pay for it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime

from services.ingest.messages import Decoded, InboundMessage, Reading, Reject, RejectReason

# After ``insert … on conflict do nothing`` from the staging table: what the batch holds differently.
DIFFERING = """
    select staged.station, staged.parameter, staged.time, stored.value, stored.flag
    from ingest_staging staged join readings stored using (station, parameter, time)
    where (staged.value, staged.flag) is distinct from (stored.value, stored.flag)
"""
CORRECTION_HINT = 'to replace it, resend the reading set with "correction": "<reason>" (docs/ingest.md)'

Stored = tuple[str, str, datetime, float, str]  # station, parameter, time, stored value, stored flag
Entry = tuple[InboundMessage, Decoded]


def conflict_detail(reading: Reading, value: float, flag: str) -> str:
    return (
        f"{reading.parameter} at {reading.time.isoformat()}: {reading.value} (flag {reading.flag}) differs from "
        f"the stored {value!r} (flag {flag}); the stored reading is kept; {CORRECTION_HINT}"
    )


def with_conflicts(entries: Sequence[Entry], differing: Iterable[Stored]) -> tuple[list[Entry], int]:
    """``entries`` with each reading that differs from the stored one moved to its message's rejects,
    and how many moved."""
    stored = {(station, parameter, moment): (value, flag) for station, parameter, moment, value, flag in differing}
    if not stored:
        return list(entries), 0
    moved: dict[int, list[Reading]] = defaultdict(list)
    for position, (_, decoded) in enumerate(entries):
        for reading in decoded.readings:
            found = stored.get((reading.station, reading.parameter, reading.time))
            if found is not None and (float(reading.value), reading.flag) != found:
                moved[position].append(reading)
    result = list(entries)
    for position, readings in moved.items():
        message, decoded = result[position]
        conflicting = set(map(id, readings))
        rejects = tuple(
            Reject(
                RejectReason.CONFLICTING_DUPLICATE,
                conflict_detail(reading, *stored[reading.station, reading.parameter, reading.time]),
                reading.station,
                reading.gateway,
                reading.parameter,
            )
            for reading in readings
        )
        kept = tuple(reading for reading in decoded.readings if id(reading) not in conflicting)
        result[position] = (message, replace(decoded, readings=kept, rejects=decoded.rejects + rejects))
    return result, sum(map(len, moved.values()))
