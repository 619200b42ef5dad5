"""Air: hourly AQI, daily values with validity and the daily AQI, per station and city.

The 1-hour values come from ``hourly_values`` (``hourly``: GB 3095's 45-minute rule under each station's
programme interval), derived once when a day's readings change. Per chunk of days they are staged for every
subject, the city's as the mean of its stations' (``subject_hours``); then set-based SQL gives the hourly AQI
(``hourly_aqi``, HJ 633 from ``aqi``'s own tables) and the daily values (``air_daily_values``, GB 3095 validity
and HJ 663's MDA8 with ``validity``'s thresholds), each proven equal to ``services.standards`` by a property
test. The daily AQI, a row per subject and day, is ``aqi.daily_aqi`` itself, version chosen by date. A
pollutant outside a station's programme on a day (for the city: outside every city station's) is passed to the
AQI as not in the programme, HJ 633—2026 §5.3's "/", so it does not make the AQI NA.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from services.alerts.context import Computation
from services.alerts.figures.air_daily_values import daily_values
from services.alerts.figures.hourly_aqi import publish_hourly_aqi
from services.alerts.figures.publication import publish_rows, published_at
from services.alerts.figures.subject_hours import Measured, measured_by_subject, stage_subject_hours
from services.alerts.tables import air_daily
from services.standards import aqi
from services.standards.local_time import day_end


def daily_row(
    subject: str, day: date, values: dict[str, Decimal | None], measured: Measured, job: Computation
) -> dict[str, Any]:
    """One day's concentrations (valid ones only) and AQI for a station or the city."""
    items = aqi.items_for(aqi.standard_for(day), hourly=False)
    result = aqi.daily_aqi(
        {code: values[code] for code in items}, day, not_in_programme=measured.not_in_programme(items, day)
    )
    return {
        "subject": subject,
        "day": day,
        **values,
        "aqi": result.aqi,
        "category": result.category,
        "primary_pollutants": list(result.primary),
        "standard": result.standard.value,
        "level": result.level,
        "missing": list(result.missing),
        "published_at": published_at(day_end(day), job.now),
    }


def compute_air(job: Computation, first: date, last: date) -> int:
    """The hourly and daily air figures of the local days first..last, from their stored 1-hour values; rows
    written."""
    measured = measured_by_subject(job)
    stage_subject_hours(job, first, last, measured)
    written = publish_hourly_aqi(job, first, last)
    daily = (
        daily_row(subject, day, values, measured[subject], job)
        for (subject, day), values in sorted(daily_values(job).items())
    )
    return written + publish_rows(job.connection, air_daily, daily)
