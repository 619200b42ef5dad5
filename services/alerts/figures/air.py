"""Air: hourly AQI, daily values with validity and the daily AQI, per station and city.

The 1-hour values come from ``hourly_values`` (``hourly``: GB 3095's 45-minute rule under each
station's programme interval), refreshed once per recompute for the days recomputed. Python then
applies the rules of ``services.standards``: GB 3095 validity for daily means and MDA8
(``validity``), and HJ 633 for the AQI (``aqi``), version chosen by date. A pollutant outside a
station's programme on a day (for the city: outside every city station's) is passed to the AQI as
not in the programme, HJ 633—2026 §5.3's "/", so it does not make the AQI NA.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from services.alerts.context import Computation
from services.alerts.figures.exact import exact_mean
from services.alerts.figures.hourly import Hours, station_hours
from services.alerts.figures.publication import publish_rows, published_at
from services.alerts.figures.subject_hours import Measured
from services.alerts.tables import AIR_POLLUTANTS, air_daily, air_hourly
from services.standards import aqi, validity
from services.standards.local_time import day_end, day_start, local_date
from services.storage.programmes import load_programmes

HOUR = timedelta(hours=1)
DAILY_MEAN_ITEMS = ("pm25", "pm10", "so2", "no2", "co")


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


def hourly_rows(subject: str, hours: Hours, measured: Measured, now: datetime) -> Iterator[dict[str, Any]]:
    for hour, values in hours.items():
        absent = measured.not_in_programme(aqi.HOURLY_ITEMS, local_date(hour))
        result = aqi.hourly_aqi(values, hour, not_in_programme=absent)
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


def daily_row(subject: str, day: date, hours: Hours, measured: Measured, job: Computation) -> dict[str, Any]:
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
    items = aqi.items_for(standard, hourly=False)
    result = aqi.daily_aqi(
        {code: values[code] for code in items}, day, not_in_programme=measured.not_in_programme(items, day)
    )
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
    """The hourly and daily air figures of the local days first..last, from their stored 1-hour values; rows
    written."""
    stations = station_hours(job, first, last)
    programmes = load_programmes(job.connection, job.registry.air_stations)
    subjects: dict[str, tuple[Hours, Measured]] = {
        code: (stations.get(code, {}), Measured(programmes, (code,))) for code in job.registry.air_stations
    }
    if job.registry.city_stations:
        city = city_hours(stations, job.registry.city_stations, job.city_min_stations)
        subjects[job.registry.city] = (city, Measured(programmes, job.registry.city_stations))
    hourly = (
        row for subject, (hours, measured) in subjects.items() for row in hourly_rows(subject, hours, measured, job.now)
    )
    written = publish_rows(job.connection, air_hourly, hourly)
    daily = (
        daily_row(subject, day, hours, measured, job)
        for subject, (hours, measured) in subjects.items()
        for day in sorted({local_date(hour) for hour in hours})
    )
    return written + publish_rows(job.connection, air_daily, daily)
