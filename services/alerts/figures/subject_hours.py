"""The 1-hour values of every air subject (each station, and the city) of a recompute, staged once per chunk
of days for the set-based hourly AQI (``hourly_aqi``) and daily statistics (``air_daily_values``).

Two temporary relations, dropped at commit:

- ``subject_hours(subject, hour, pm25 … o3, day, slot)``: a row per subject and hour that has any 1-hour value,
  a column per pollutant, NULL when missing or not valid (GB 3095 Table 4's 45 minutes); ``day`` and ``slot``
  are the hour's local day and hour of the day. A view over the stations' pivoted 1-hour values
  (``air_station_hours``, derived with them, ``station_hours``) and a table of the city's rows. The city's
  1-hour value of a pollutant is the mean (``exact_mean``, as ``validity``'s means) of its stations' valid
  values, when at least ``city_min_stations`` have one [?], over every hour any city station has. Tests make
  it a table of their own values (``create_subject_tables``).
- ``subject_measured(subject, day, pollutants)``: the pollutants a subject measures on a local day (a station
  by its programme, the city through any of its stations); the others enter the AQI as not in the
  programme, HJ 633—2026 §5.3's "/".
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import date

from psycopg import sql
from sqlalchemy import Connection, text

from services.alerts.context import Computation
from services.alerts.periods import days_between
from services.alerts.tables import AIR_POLLUTANTS, air_station_hours
from services.standards.local_time import POSTGRES_ZONE
from services.storage.engine import copy_rows, create_temp_table
from services.storage.programmes import Programmes, load_programmes

SUBJECT_HOURS = "subject_hours"
SUBJECT_MEASURED = "subject_measured"
CITY_HOURS = "subject_city_hours"

# The local day and hour of the day of each hour: both consumers group and order by them.
_LOCAL = f"hour at time zone '{POSTGRES_ZONE}'"
_DAY = f"({_LOCAL})::date"
_SLOT = f"extract(hour from {_LOCAL})::integer"
_POLLUTANTS = ", ".join(AIR_POLLUTANTS)
_HOURS_COLUMNS = ", ".join(
    [
        "subject text not null",
        "hour timestamptz not null",
        *(f"{code} numeric" for code in AIR_POLLUTANTS),
        f"day date generated always as ({_DAY}) stored",
        f"slot integer generated always as ({_SLOT}) stored",
    ]
)
_MEASURED_COLUMNS = "subject text not null, day date not null, pollutants text[] not null"


def _city_mean(code: str) -> str:
    return f"case when count({code}) >= :min_stations then exact_mean(sum({code}), count({code})) end"


_CITY_HOURS_SQL = f"""
    insert into {CITY_HOURS} (subject, hour, {_POLLUTANTS})
    select :city, hour, {", ".join(_city_mean(code) for code in AIR_POLLUTANTS)}
    from {air_station_hours.name}
    where station = any(:city_stations) and hour >= :start and hour < :end
    group by hour
"""
# The stations' rows are read where they are stored, not copied. A view takes no parameters, so the chunk's
# stations and bounds are written into it as literals.
_SUBJECT_HOURS_VIEW = f"""
    create temp view {SUBJECT_HOURS} as
    select station::text as subject, hour, {_POLLUTANTS}, {_DAY} as day, {_SLOT} as slot
    from {air_station_hours.name}
    where station = any({{stations}}) and hour >= {{start}} and hour < {{end}}
    union all
    select subject, hour, {_POLLUTANTS}, day, slot from {CITY_HOURS}
"""


class Measured:
    """Which pollutants a subject (a station, or the city through its stations) measures on a day."""

    def __init__(self, programmes: Programmes, stations: Sequence[str]) -> None:
        self._programmes = programmes
        self._stations = stations
        self._days: dict[date, frozenset[str]] = {}

    def on(self, day: date) -> frozenset[str]:
        if day not in self._days:
            self._days[day] = frozenset(
                p for p in AIR_POLLUTANTS if any(self._programmes.measures(s, p, day) for s in self._stations)
            )
        return self._days[day]

    def not_in_programme(self, items: Collection[str], day: date) -> tuple[str, ...]:
        """AQI items (``o3_8h`` is O3's) whose pollutant is not measured on ``day``."""
        measured = self.on(day)
        return tuple(item for item in items if item.partition("_")[0] not in measured)


def measured_by_subject(job: Computation) -> dict[str, Measured]:
    """Every air station's programme, and the city's through its stations."""
    programmes = load_programmes(job.connection, job.registry.air_stations)
    subjects = {code: Measured(programmes, (code,)) for code in job.registry.air_stations}
    if job.registry.city_stations:
        subjects[job.registry.city] = Measured(programmes, job.registry.city_stations)
    return subjects


def create_subject_tables(connection: Connection) -> None:
    """Both as empty temporary tables, for a caller with values of its own (tests)."""
    connection.execute(text(f"drop view if exists pg_temp.{SUBJECT_HOURS}"))
    create_temp_table(connection, SUBJECT_HOURS, _HOURS_COLUMNS)
    create_temp_table(connection, SUBJECT_MEASURED, _MEASURED_COLUMNS)


def stage_subject_hours(job: Computation, first: date, last: date, subjects: Mapping[str, Measured]) -> None:
    """Stage both for the local days first..last; ``subjects`` as :func:`measured_by_subject` gives them."""
    connection = job.connection
    bounds = job.bounds(first, last)
    # Dropping the city's table drops an earlier chunk's view over it (and at commit, too).
    create_temp_table(connection, CITY_HOURS, _HOURS_COLUMNS)
    connection.execute(text(f"drop table if exists pg_temp.{SUBJECT_HOURS}"))
    create_temp_table(connection, SUBJECT_MEASURED, _MEASURED_COLUMNS)
    view = sql.SQL(_SUBJECT_HOURS_VIEW).format(
        stations=sql.Literal(list(job.registry.air_stations)),
        start=sql.Literal(bounds["start"]),
        end=sql.Literal(bounds["end"]),
    )
    driver = connection.connection.driver_connection
    assert driver is not None
    with driver.cursor() as cursor:
        cursor.execute(view)
    if job.registry.city_stations:
        connection.execute(
            text(_CITY_HOURS_SQL),
            {
                **bounds,
                "city": job.registry.city,
                "city_stations": list(job.registry.city_stations),
                "min_stations": job.city_min_stations,
            },
        )
    copy_rows(
        connection,
        SUBJECT_MEASURED,
        ("subject", "day", "pollutants"),
        (
            (subject, day, sorted(measured.on(day)))
            for subject, measured in subjects.items()
            for day in days_between(first, last)
        ),
    )
    analyze_subject_tables(connection, CITY_HOURS)


def analyze_subject_tables(connection: Connection, hours: str = SUBJECT_HOURS) -> None:
    """Temporary tables have no statistics until analysed; the statements over them would be planned blind.
    ``hours``: the table of hours (the city's under the view, or the tests' own)."""
    for name in (hours, SUBJECT_MEASURED):
        connection.execute(text(f"analyze {name}"))
