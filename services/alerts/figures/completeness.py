"""Data completeness per station and day, and silent stations, against each station's programme.

The programme (``station_programmes``, docs/programmes.md) says which parameters a station reports
on a day and every how long. A report stamped ``t`` covers ``[t, t + interval)`` and is due once that
has ended (a daily total stamped at midnight arrives the next day). A day expects, per parameter in
the programme that day, the report times of its interval's grid (from Beijing midnight) in the day
that are due by now — all of them for a past day, so today's provisional figure is neither low merely
because the day is young nor over 100 %. ``received`` and ``valid`` count distinct (parameter, report
time) slots of that grid, due by now, holding any reading / a flag-N reading; readings of parameters
outside the programme count for nothing. ``flagged_t``/``flagged_d`` count HJ 212 flag T (over range)
and D (fault) readings of the day.

A station is **silent** when, ``silent_after_intervals`` (k) intervals after its last report was due,
nothing newer has come: ``now > last + (k + 1) × interval``, with its shortest interval in force today.
A station in the programme that never reported is silent; one without any parameter in force today
expects nothing and is never silent.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import text

from services.alerts.context import Computation
from services.alerts.figures.publication import PUBLISHED_DAY_SQL, publish_select
from services.alerts.tables import station_completeness, station_status
from services.storage.programmes import GRID_ORIGIN, SHORTEST_INTERVAL_SQL

# A day of a station and parameter in the programme, with its interval; days are whole local days.
_PROGRAMME_DAYS_SQL = """
    select p.station, p.parameter, p.interval, g::date as day
    from station_programmes p
    join generate_series(cast(:first as timestamp), cast(:last as timestamp), interval '1 day') g
      on p.valid_from <= g::date and (p.valid_to is null or g::date < p.valid_to)
"""

_COMPLETENESS_SQL = f"""
    with programme as ({_PROGRAMME_DAYS_SQL}), expected as (
        select station, day,
               sum(greatest(0, least(
                   floor(extract(epoch from interval '1 day') / extract(epoch from interval)),
                   floor(extract(epoch from :now - day::timestamp at time zone :tz) / extract(epoch from interval))
               )))::integer as slots
        from programme group by station, day
    ), slots as (
        select programme.station, programme.day,
               count(distinct (r.parameter, date_bin(programme.interval, r.time, :origin))) as received,
               count(distinct (r.parameter, date_bin(programme.interval, r.time, :origin)))
                   filter (where r.flag = 'N') as valid
        from readings r
        join programme on programme.station = r.station and programme.parameter = r.parameter
                      and programme.day = (r.time at time zone :tz)::date
        where r.time >= :start and r.time < :end
          and date_bin(programme.interval, r.time, :origin) + programme.interval <= :now
        group by 1, 2
    ), flags as (
        select station, (time at time zone :tz)::date as day,
               count(*) filter (where flag = 'T') as flagged_t,
               count(*) filter (where flag = 'D') as flagged_d
        from readings where time >= :start and time < :end and flag in ('T', 'D')
        group by 1, 2
    )
    select expected.station, expected.day, expected.slots,
           coalesce(slots.received, 0), coalesce(slots.valid, 0),
           coalesce(flags.flagged_t, 0), coalesce(flags.flagged_d, 0),
           {PUBLISHED_DAY_SQL.replace("(day + 1)", "(expected.day + 1)")}
    from expected
    left join slots using (station, day)
    left join flags using (station, day)
"""


def compute_completeness(job: Computation, first: date, last: date) -> int:
    params: dict[str, Any] = {**job.bounds(first, last), "origin": GRID_ORIGIN}
    return publish_select(job.connection, station_completeness, _COMPLETENESS_SQL, params)


# Every station with its shortest interval in force today (null: nothing expected) and its last reading.
_STATUS_SQL = f"""
    select stations.code, programme.interval, last.time
    from stations
    left join ({SHORTEST_INTERVAL_SQL}) programme on programme.station = stations.code
    left join (
        select station, max(time) as time from readings where time >= :since group by station
    ) last on last.station = stations.code
"""
# Last readings are looked for this far back at least (older ones show as "none recently").
STATUS_LOOKBACK = timedelta(days=7)


def compute_station_status(job: Computation) -> int:
    """Stations silent for ``silent_after_intervals`` of their programme's interval (or with nothing recent)."""
    k = job.silent_after_intervals
    longest = job.connection.execute(text("select max(interval) from station_programmes")).scalar_one()
    since = job.now - max(STATUS_LOOKBACK, (k + 1) * (longest or timedelta(0)))
    rows = job.connection.execute(text(_STATUS_SQL), {"today": job.today, "since": since}).all()
    job.connection.execute(text("delete from station_status"))
    statuses = [
        {
            "station": code,
            "last_reading_at": last,
            "silent": interval is not None and (last is None or job.now > last + (k + 1) * interval),
            "checked_at": job.now,
        }
        for code, interval, last in rows
    ]
    if statuses:
        job.connection.execute(station_status.insert(), statuses)
    return len(statuses)
