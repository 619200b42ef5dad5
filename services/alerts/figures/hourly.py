"""The 1-hour value of every air series, computed once per recompute into ``hourly_values``.

GB 3095 Table 4 (``services.standards.validity.hourly_mean``, the rule's one definition): a 1-hour value
is the mean of the hour's valid (flag N) readings and is valid with ≥ 45 minutes of sampling in the
hour. Each reading covers [time, time + interval) clipped to its hour, where the interval is the
station's programme interval for that pollutant on that day (``station_programmes``); the covered
minutes are the union of those spans, whole minutes. An hour holding one reading of a 15-minute
series therefore covers 15 minutes, however long the gap after it. Readings of a pollutant outside
the station's programme that day make no hourly value (the "/" of HJ 633—2026 §5.3).

The statement does in SQL, for speed, what ``validity.hourly_mean`` does per hour; the mean is
``exact_mean`` (migration 0023), validity's mean, and the
readings' binary64 values enter as their shortest decimal (``float8`` text output, as Python's
``repr``). ``tests/alerts/figures/test_hourly.py`` proves the two agree on random samples.

The recompute brings the rows of the days it recomputes (all air stations) up to date in one statement
(``derived.refresh_sql``): changed hours rewritten, unchanged ones left alone (a year's re-run after a rule
change rewrites only what changed), hours without a valid reading any more removed. The table holds each hour
exactly once and every consumer reads the same values (the air figures through their pivot per station-hour,
``station_hours``).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import text

from services.alerts.context import Computation
from services.alerts.figures.derived import refresh_sql
from services.alerts.tables import AIR_POLLUTANTS, hourly_values
from services.standards import validity
from services.storage.engine import statement_settings

MICROSECONDS_PER_MINUTE = 60_000_000
SORT_MEMORY = "64MB"

_COMPUTED = f"""
    programmes as materialized (
        select station, parameter, interval,
               valid_from::timestamp at time zone :tz as since, valid_to::timestamp at time zone :tz as until
        from station_programmes where station = any(:stations) and parameter = any(:parameters)
    ), samples as (
        select r.station, r.parameter, r.time, r.value::text::numeric as value,
               date_trunc('hour', r.time, :tz) as hour, p.interval
        from readings r
        join programmes p
          on p.station = r.station and p.parameter = r.parameter
         and r.time >= p.since and (p.until is null or r.time < p.until)
        where r.station = any(:stations) and r.parameter = any(:parameters)
          and r.time >= :start and r.time < :end and r.flag = 'N'
    ), spans as (
        -- Spans of one series have one length, so a span's part not covered by a later one ends where the
        -- next reading starts (or at the end of its hour); ordered by series, as the readings' key is.
        select station, parameter, hour, value,
               least(time + interval, hour + interval '1 hour',
                     lead(time) over (partition by station, parameter order by time)) - time as span
        from samples
    ), hours as (
        select station, parameter, hour, count(*) as samples, sum(value) as total,
               (extract(epoch from sum(span)) * 1000000)::bigint / {MICROSECONDS_PER_MINUTE} as minutes
        from spans group by 1, 2, 3
    ), computed as materialized (
        select station, parameter, hour, exact_mean(total, samples) as value, samples, minutes,
               minutes >= {validity.MIN_MINUTES_FOR_HOURLY_VALUE} as valid
        from hours
    )
"""
# Hours of the days recomputed that no longer have a valid reading go: deleted, re-flagged, outside a changed
# programme.
_REFRESH_SQL = refresh_sql(
    hourly_values,
    _COMPUTED,
    "stored.station = any(:stations) and stored.parameter = any(:parameters) "
    "and stored.hour >= :start and stored.hour < :end",
)


def refresh_hourly_values(job: Computation, first: date, last: date) -> int:
    """Recompute the 1-hour values of every air station for the local days first..last; rows written or
    removed (0 when nothing changed)."""
    params = {
        **job.bounds(first, last),
        "stations": list(job.registry.air_stations),
        "parameters": list(AIR_POLLUTANTS),
    }
    # For this statement only: the window's sort over a year of readings spills to disk at the default 4 MB,
    # and the planner, misjudging how many readings a programme row matches, would probe the readings once
    # per programme row (a nested loop) instead of hashing the programmes.
    with statement_settings(job.connection, work_mem=SORT_MEMORY, enable_nestloop="off"):
        written: int = job.connection.execute(text(_REFRESH_SQL), params).scalar_one()
    return written
