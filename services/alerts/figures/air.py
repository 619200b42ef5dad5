"""Air: hourly values and hourly AQI, daily values with validity and the daily AQI, per station and city.

SQL turns raw readings into one row per station and hour holding each pollutant's 1-hour value,
or NULL where the hour is covered by less than 45 minutes of valid (flag N) data. Each reading
covers the series' sampling interval in that hour (the smallest spacing between consecutive
readings of the station and parameter, at most one hour), clipped to the end of its hour: an
hourly series stamped at the start of each hour covers whole hours, a 5-minute series 5 minutes
per reading, and a gap in a 5-minute series is not covered. The 1-hour value is the mean of the
hour's valid readings, cast to numeric in SQL (see docs/alerts.md, "Exactness").

Python then applies the rules of ``services.standards``: GB 3095 validity for daily means and
MDA8 (``validity``), and HJ 633 for the AQI (``aqi``), version chosen by date.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import text

from services.alerts.context import Computation
from services.alerts.figures.exact import exact_mean
from services.alerts.figures.publication import publish_rows, published_at
from services.alerts.tables import AIR_POLLUTANTS, air_daily, air_hourly
from services.standards import aqi, validity
from services.standards.local_time import day_end, day_start, local_date

HOUR = timedelta(hours=1)
DAILY_MEAN_ITEMS = ("pm25", "pm10", "so2", "no2", "co")

Hours = dict[datetime, dict[str, Decimal | None]]

_HOURLY_SQL = f"""
    with samples as (
        select station, parameter, time, value, flag, date_trunc('hour', time, :tz) as hour,
               coalesce(lead(time) over (partition by station, parameter order by time) - time,
                        interval '1 hour') as gap
        from readings
        where station = any(:stations) and parameter = any(:parameters) and time >= :start and time < :end
    ), spans as (
        select station, parameter, hour, value, flag,
               least(min(gap) over (partition by station, parameter, hour), interval '1 hour',
                     hour + interval '1 hour' - time) as span
        from samples
    ), hours as (
        select station, parameter, hour, trim_scale(sum(value::numeric) / count(*)) as mean, sum(span) as covered
        from spans where flag = 'N'
        group by 1, 2, 3
    )
    select station, hour,
        {
    ", ".join(
        f"max(mean) filter (where parameter = '{code}' and covered >= interval '45 minutes') as {code}"
        for code in AIR_POLLUTANTS
    )
}
    from hours group by station, hour
"""


def fetch_station_hours(job: Computation, first: date, last: date) -> dict[str, Hours]:
    """Valid 1-hour values per station and hour (local days first..last)."""
    rows = job.connection.execute(
        text(_HOURLY_SQL),
        {**job.bounds(first, last), "stations": list(job.registry.air_stations), "parameters": list(AIR_POLLUTANTS)},
    ).mappings()
    result: dict[str, Hours] = defaultdict(dict)
    for row in rows:
        result[row["station"]][row["hour"]] = {code: row[code] for code in AIR_POLLUTANTS}
    return result


def city_hours(stations: Mapping[str, Hours], city_stations: Sequence[str], min_stations: int = 1) -> Hours:
    """The city's 1-hour value of each pollutant: the mean over its stations with a valid value, when at
    least ``min_stations`` have one (ENVMON_ALERTS_CITY_MIN_STATIONS) [?]."""
    hours = sorted({hour for code in city_stations for hour in stations.get(code, {})})
    result: Hours = {}
    for hour in hours:
        values: dict[str, Decimal | None] = {}
        for pollutant in AIR_POLLUTANTS:
            present = [
                v for code in city_stations if (v := stations.get(code, {}).get(hour, {}).get(pollutant)) is not None
            ]
            values[pollutant] = exact_mean(present) if present and len(present) >= min_stations else None
        result[hour] = values
    return result


def _aqi_columns(result: aqi.AQIResult) -> dict[str, Any]:
    return {
        "aqi": result.aqi,
        "category": result.category,
        "primary_pollutants": list(result.primary),
        "standard": result.standard.value,
    }


def hourly_rows(subject: str, hours: Hours, now: datetime) -> Iterator[dict[str, Any]]:
    for hour, values in hours.items():
        result = aqi.hourly_aqi(values, hour)
        yield {
            "subject": subject,
            "hour": hour,
            **values,
            **_aqi_columns(result),
            "published_at": published_at(hour + HOUR, now),
        }


def _day_series(hours: Hours, day: date) -> dict[str, list[Decimal | None]]:
    start = day_start(day)
    slots = [hours.get(start + i * HOUR, {}) for i in range(validity.HOURS_PER_DAY)]
    return {code: [slot.get(code) for slot in slots] for code in AIR_POLLUTANTS}


def daily_row(subject: str, day: date, hours: Hours, job: Computation) -> dict[str, Any]:
    """One day's concentrations (valid ones only) and AQI for a station or the city."""
    series = _day_series(hours, day)
    values: dict[str, Decimal | None] = {}
    for code in DAILY_MEAN_ITEMS:
        statistic = validity.daily_mean(series[code])
        values[code] = statistic.value if statistic.valid else None
    ozone = validity.mda8(series["o3"])
    values["o3_8h"] = ozone.value if ozone.valid else None
    # HJ 633-2012's O3 daily maximum 1-hour value: held to the daily-mean coverage (≥ 20 hours) [?].
    ozone_hours = [v for v in series["o3"] if v is not None]
    enough = len(ozone_hours) >= validity.MIN_HOURS_FOR_DAILY_MEAN
    values["o3_1h_max"] = max(ozone_hours) if enough else None
    standard = aqi.standard_for(day)
    inputs = {code: values[code] for code in aqi.items_for(standard, hourly=False)}
    result = aqi.daily_aqi(inputs, day)
    end = day_end(day)
    return {
        "subject": subject,
        "day": day,
        **values,
        **_aqi_columns(result),
        "level": result.level,
        "missing": list(result.missing),
        "published_at": published_at(end, job.now),
    }


def compute_air(job: Computation, first: date, last: date) -> int:
    """Recompute hourly and daily air figures for the local days first..last; rows written."""
    stations = fetch_station_hours(job, first, last)
    subjects: dict[str, Hours] = {code: stations.get(code, {}) for code in job.registry.air_stations}
    if job.registry.city_stations:
        subjects[job.registry.city] = city_hours(stations, job.registry.city_stations, job.city_min_stations)
    hourly = (row for subject, hours in subjects.items() for row in hourly_rows(subject, hours, job.now))
    written = publish_rows(job.connection, air_hourly, hourly)
    daily = (
        daily_row(subject, day, hours, job)
        for subject, hours in subjects.items()
        for day in sorted({local_date(hour) for hour in hours})
    )
    return written + publish_rows(job.connection, air_daily, daily)
