"""The 1-hour values of every air subject (each station, and the city) of a recompute, staged once per chunk
of days for the set-based hourly AQI (``hourly_aqi``) and daily statistics (``air_daily_values``).

Two temporary tables, dropped at commit:

- ``subject_hours(subject, hour, parameter, value)``: a station's rows are its ``hourly_values``, ``value`` the
  1-hour value when valid (≥ 45 minutes, GB 3095 Table 4) and NULL when not. A subject's hour exists (it gets
  an hourly figure) when it has any row; a pollutant without a row is missing like a NULL. The city's 1-hour
  value of a pollutant is the mean (``exact_mean``, as ``validity``'s means) of its stations' valid values,
  when at least ``city_min_stations`` have one [?], over every hour any city station has.
- ``subject_measured(subject, day, pollutants)``: the pollutants a subject measures on a local day (a station
  by its programme, the city through any of its stations); the others enter the AQI as not in the
  programme, HJ 633—2026 §5.3's "/".
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from datetime import date, timedelta

from sqlalchemy import Connection, text

from services.alerts.context import Computation
from services.alerts.tables import AIR_POLLUTANTS, hourly_values
from services.storage.programmes import Programmes, load_programmes

SUBJECT_HOURS = "subject_hours"
SUBJECT_MEASURED = "subject_measured"

_STATION_HOURS_SQL = f"""
    insert into {SUBJECT_HOURS} (subject, hour, parameter, value)
    select station, hour, parameter, case when valid then value end
    from {hourly_values.name}
    where station = any(:stations) and hour >= :start and hour < :end
"""
_CITY_HOURS_SQL = f"""
    insert into {SUBJECT_HOURS} (subject, hour, parameter, value)
    select :city, hour, parameter,
           case when count(value) >= :min_stations then exact_mean(sum(value), count(value)) end
    from {SUBJECT_HOURS}
    where subject = any(:city_stations)
    group by hour, parameter
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
    """The two empty temporary tables (replacing those of an earlier chunk in the same transaction)."""
    for table, columns in (
        (SUBJECT_HOURS, "subject text not null, hour timestamptz not null, parameter text not null, value numeric"),
        (SUBJECT_MEASURED, "subject text not null, day date not null, pollutants text[] not null"),
    ):
        connection.execute(text(f"drop table if exists pg_temp.{table}"))
        connection.execute(text(f"create temp table {table} ({columns}) on commit drop"))


def _days(first: date, last: date) -> Iterator[date]:
    for offset in range((last - first).days + 1):
        yield first + timedelta(days=offset)


def stage_subject_hours(job: Computation, first: date, last: date) -> None:
    """Fill both tables for the local days first..last."""
    connection = job.connection
    create_subject_tables(connection)
    bounds = job.bounds(first, last)
    connection.execute(text(_STATION_HOURS_SQL), {**bounds, "stations": list(job.registry.air_stations)})
    if job.registry.city_stations:
        connection.execute(
            text(_CITY_HOURS_SQL),
            {
                "city": job.registry.city,
                "city_stations": list(job.registry.city_stations),
                "min_stations": job.city_min_stations,
            },
        )
    subjects = measured_by_subject(job)  # before the COPY, which holds the connection
    driver = connection.connection.driver_connection
    assert driver is not None
    with (
        driver.cursor() as cursor,
        cursor.copy(f"copy {SUBJECT_MEASURED} (subject, day, pollutants) from stdin") as copy,
    ):
        for subject, measured in subjects.items():
            for day in _days(first, last):
                copy.write_row((subject, day, sorted(measured.on(day))))
    # Temporary tables have no statistics until analysed; the joins over them would be planned blind.
    connection.execute(text(f"analyze {SUBJECT_HOURS}"))
    connection.execute(text(f"analyze {SUBJECT_MEASURED}"))
