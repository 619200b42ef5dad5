"""Corrections: a gateway that really means to replace a stored reading says so, and it is audited.

A JSON reading set marked ``"correction": "<why>"`` (services.ingest.decode_json) replaces the
stored readings of its station, parameters and time. Each replaced value gets a
``reading_corrections`` row in the same transaction (value and flag before and after, gateway,
topic, receipt time, the reason given), and the day it belongs to is queued for recompute, however
recent, since the day's aggregates changed. A correction equal to what is stored changes nothing
and is counted as a duplicate; one for a reading never stored stores it (audited, old value null).
Within one message the last correction of a reading wins; messages are applied in receipt order.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date

import psycopg

from services.ingest.decode_json import MAX_CORRECTION_CHARS
from services.ingest.messages import Correction, InboundMessage
from services.ingest.rejects import clean
from services.standards.local_time import local_date

# First, in a statement of its own: a lock taken inside APPLY would skip the rows APPLY itself updates.
LOCK = """
    select 1 from readings stored
    join unnest(%(stations)s::text[], %(parameters)s::text[], %(times)s::timestamptz[]) as c(station, parameter, time)
        using (station, parameter, time)
    for update of stored
"""
APPLY = """
    with incoming as (
        select *
        from unnest(
            %(stations)s::text[], %(parameters)s::text[], %(times)s::timestamptz[], %(values)s::numeric[]::float8[],
            %(flags)s::text[], %(sources)s::text[], %(gateways)s::text[], %(reasons)s::text[]
        ) as c(station, parameter, time, value, flag, source, gateway, reason)
    ),
    previous as (  -- the statement's snapshot: the values before this statement's update, locked by LOCK
        select stored.station, stored.parameter, stored.time, stored.value, stored.flag
        from readings stored join incoming using (station, parameter, time)
    ),
    written as (
        insert into readings (time, station, parameter, value, flag, source, gateway, received_at)
        select time, station, parameter, value, flag, source, gateway, %(received_at)s from incoming
        on conflict (station, parameter, time) do update
            set value = excluded.value, flag = excluded.flag, source = excluded.source,
                gateway = excluded.gateway, received_at = excluded.received_at
            where (readings.value, readings.flag) is distinct from (excluded.value, excluded.flag)
        returning station, parameter, time
    )
    insert into reading_corrections
        (received_at, station, parameter, time, old_value, old_flag, new_value, new_flag, gateway, topic, reason)
    select %(received_at)s, i.station, i.parameter, i.time, p.value, p.flag, i.value, i.flag, i.gateway,
           %(topic)s, i.reason
    from written w
    join incoming i using (station, parameter, time)
    left join previous p using (station, parameter, time)
    returning station, time
"""


def apply_corrections(
    cursor: psycopg.Cursor[tuple[object, ...]], message: InboundMessage, corrections: Sequence[Correction]
) -> Counter[tuple[str, date]]:
    """Apply one message's corrections inside the caller's transaction; the (station, Beijing day)
    of each reading changed, counted (for the recompute queue)."""
    last = {(c.reading.station, c.reading.parameter, c.reading.time): c for c in corrections}
    readings = [c.reading for c in last.values()]
    parameters = {
        "stations": [r.station for r in readings],
        "parameters": [r.parameter for r in readings],
        "times": [r.time for r in readings],
        "values": [r.value for r in readings],
        "flags": [r.flag for r in readings],
        "sources": [r.source.value for r in readings],
        "gateways": [r.gateway for r in readings],
        "reasons": [clean(c.reason, MAX_CORRECTION_CHARS) for c in last.values()],
        "received_at": message.received_at,
        "topic": message.topic,
    }
    cursor.execute(LOCK, parameters)
    cursor.execute(APPLY, parameters)
    return Counter((str(station), local_date(moment)) for station, moment in cursor.fetchall())  # type: ignore[arg-type]
