"""Data completeness per station and day, and silent stations.

A station's programme on a day is the set of parameters it reported within the preceding
``programme_days`` days (that day included); it is expected to deliver each of them every hour
(air, water) or once a day (waste). ``received`` and ``valid`` count distinct (parameter, hour)
slots with any reading and with a flag N reading; ``flagged_t``/``flagged_d`` count HJ 212 flag T
(over range) and D (fault) readings.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import text

from services.alerts.context import Computation
from services.alerts.figures.publication import PUBLISHED_DAY_SQL, publish_select
from services.alerts.tables import station_completeness, station_status
from services.standards.local_time import day_start

HOURLY_SLOTS = 24

_COMPLETENESS_SQL = f"""
    with slots as (
        select station, (time at time zone :tz)::date as day, parameter,
               count(distinct date_trunc('hour', time, :tz)) as received,
               count(distinct date_trunc('hour', time, :tz)) filter (where flag = 'N') as valid,
               count(*) filter (where flag = 'T') as flagged_t,
               count(*) filter (where flag = 'D') as flagged_d
        from readings where time >= :programme_start and time < :end
        group by 1, 2, 3
    ), programme as (
        select grid.station, grid.day, grid.kind, count(distinct slots.parameter) as parameters
        from (
            select code as station, kind, g::date as day
            from stations
            cross join generate_series(cast(:first as timestamp), cast(:last as timestamp), interval '1 day') g
        ) grid
        join slots on slots.station = grid.station
                  and slots.day between grid.day - :programme_days + 1 and grid.day
        group by 1, 2, 3
    )
    select programme.station, programme.day,
           programme.parameters * case when programme.kind = 'waste' then 1 else {HOURLY_SLOTS} end,
           coalesce(sum(slots.received), 0), coalesce(sum(slots.valid), 0),
           coalesce(sum(slots.flagged_t), 0), coalesce(sum(slots.flagged_d), 0),
           {PUBLISHED_DAY_SQL.replace("(day + 1)", "(programme.day + 1)")}
    from programme left join slots on slots.station = programme.station and slots.day = programme.day
    group by programme.station, programme.day, programme.parameters, programme.kind
"""


def compute_completeness(job: Computation, first: date, last: date) -> int:
    params: dict[str, Any] = {
        **job.bounds(first, last),
        "programme_days": job.programme_days,
        "programme_start": day_start(first - timedelta(days=job.programme_days - 1)),
    }
    return publish_select(job.connection, station_completeness, _COMPLETENESS_SQL, params)


_LAST_READING_SQL = """
    select stations.code, max(readings.time)
    from stations left join readings on readings.station = stations.code and readings.time >= :since
    group by stations.code
"""


def compute_station_status(job: Computation) -> int:
    """Stations silent longer than ``silent_after`` (or with nothing in the programme window)."""
    since = job.now - timedelta(days=job.programme_days)
    rows = job.connection.execute(text(_LAST_READING_SQL), {"since": since}).all()
    job.connection.execute(text("delete from station_status"))
    statuses = [
        {
            "station": code,
            "last_reading_at": last,
            "silent": last is None or job.now - last > job.silent_after,
            "checked_at": job.now,
        }
        for code, last in rows
    ]
    if statuses:
        job.connection.execute(station_status.insert(), statuses)
    return len(statuses)
