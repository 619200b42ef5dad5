"""Each air station's valid 1-hour values pivoted to a row per station and hour (``air_station_hours``), derived
with the 1-hour values (``hourly``) when a day's readings change, so that a restatement of the figures reads them
as they are instead of pivoting a year of ``hourly_values`` again.

A station-hour has a row when it has any ``hourly_values`` row; a pollutant's column holds its 1-hour value when
valid (GB 3095 Table 4's 45 minutes) and NULL when not valid or absent. Like the 1-hour values
(``derived.refresh_sql``), changed rows are rewritten, unchanged ones left alone, and hours without a 1-hour value
any more removed.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import text

from services.alerts.context import Computation
from services.alerts.figures.derived import refresh_sql
from services.alerts.figures.hourly import SORT_MEMORY
from services.alerts.tables import AIR_POLLUTANTS, air_station_hours, hourly_values
from services.storage.engine import statement_settings

_VALUES = ", ".join(f"max(value) filter (where valid and parameter = '{code}') as {code}" for code in AIR_POLLUTANTS)
_REFRESH_SQL = refresh_sql(
    air_station_hours,
    f"""
    computed as materialized (
        select station, hour, {_VALUES}
        from {hourly_values.name}
        where station = any(:stations) and parameter = any(:pollutants) and hour >= :start and hour < :end
        group by station, hour
    )
    """,
    "stored.station = any(:stations) and stored.hour >= :start and stored.hour < :end",
)


def refresh_station_hours(job: Computation, first: date, last: date) -> int:
    """Bring the station-hours of every air station for the local days first..last up to date with their 1-hour
    values; rows written or removed (0 when nothing changed)."""
    params = {
        **job.bounds(first, last),
        "stations": list(job.registry.air_stations),
        "pollutants": list(AIR_POLLUTANTS),
    }
    # Pivoting a month of 1-hour values spills to disk at the default 4 MB; for this statement only.
    with statement_settings(job.connection, work_mem=SORT_MEMORY):
        written: int = job.connection.execute(text(_REFRESH_SQL), params).scalar_one()
    return written
