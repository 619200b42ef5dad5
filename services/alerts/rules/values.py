"""The values alert rules compare: each metric is one SQL query over the computed tables, per subject.

Every query returns ``(subject, value)`` rows; a subject without a row has no value this cycle
(its alert state is held, see ``lifecycle``). Parameters: ``today``/``yesterday`` (local days),
``year`` and ``month`` period keys, ``city``, ``now`` and ``flag_since``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import timedelta
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from sqlalchemy import Connection, text

from services.alerts.context import Computation

METRICS: Mapping[str, str] = MappingProxyType(
    {
        # Latest daily AQI of each station and the city: yesterday's, or today's once published (> 100).
        "air.daily_aqi": """
        select distinct on (subject) subject, aqi from air_daily
        where day between :yesterday and :today and aqi is not null order by subject, day desc
    """,
        "air.good_day_share_ytd": "select subject, share from air_year where year = :year_number and share is not null",
        "air.remaining_bad_days": "select subject, remaining_bad_days from air_year where year = :year_number",
        # 双控双减: only a comparison of two valid figures (pro-rata annual completeness) is a value; an
        # invalid one gives none, so the alert neither fires nor resolves on it (its state is held).
        "air.pm25_change_ytd": """
        select subject, pm25_mean - pm25_mean_last_year from air_year
        where year = :year_number and pm25_valid and pm25_valid_last_year
    """,
        "air.o3_p90_change_ytd": """
        select subject, o3_mda8_p90 - o3_mda8_p90_last_year from air_year
        where year = :year_number and o3_valid and o3_valid_last_year
    """,
        "water.class_i_iii_share_ytd": (
            "select :city, share from water_share where period = :year and share is not null"
        ),
        "water.class_mtd": "select section, water_class from water_period where period = :month",
        "water.classes_over_target_mtd": """
        select section, water_class - target_class from water_period
        where period = :month and target_class is not null
    """,
        "eco_flow.share_ytd": "select subject, share from eco_flow_period where period = :year and subject = :city",
        "eco_flow.ratio_latest": """
        select distinct on (section) section, mean_flow / nullif(eco_flow_min, 0) from eco_flow_daily
        where day between :yesterday and :today order by section, day desc
    """,
        "waste.landfill_share_ytd": """
        select :city, sum(landfilled) / nullif(sum(household_total), 0) from waste_daily
        where day between make_date(:year_number, 1, 1) and :today having sum(household_total) > 0
    """,
        "waste.landfilled_latest": """
        select :city, landfilled from waste_daily where day between :yesterday and :today
        order by day desc limit 1
    """,
        "station.silent": "select station, case when silent then 1 else 0 end from station_status",
        "station.completeness_yesterday": """
        select station, valid::numeric / expected from station_completeness
        where day = :yesterday and expected > 0
    """,
        # Every station gets a count (0 included), so the alert resolves when flags stop.
        "station.flagged_t_or_d": """
        select stations.code, count(readings.time) from stations
        left join readings on readings.station = stations.code and readings.time >= :flag_since
                          and readings.flag in ('T', 'D')
        group by stations.code
    """,
    }
)


def metric_parameters(job: Computation, flag_window: timedelta) -> dict[str, Any]:
    return {
        "today": job.today,
        "yesterday": job.yesterday,
        "year": str(job.today.year),
        "year_number": job.today.year,
        "month": f"{job.today.year}-{job.today.month:02d}",
        "city": job.registry.city,
        "now": job.now,
        "flag_since": job.now - flag_window,
    }


def read_metrics(
    connection: Connection, names: Iterable[str], params: Mapping[str, Any]
) -> dict[str, dict[str, Decimal]]:
    """Current values of the named metrics, by metric and subject; unknown names raise KeyError."""
    values: dict[str, dict[str, Decimal]] = {}
    for name in sorted(set(names)):
        rows = connection.execute(text(METRICS[name]), dict(params)).all()
        values[name] = {str(subject): Decimal(value) for subject, value in rows if value is not None}
    return values


def check_metric_names(names: Iterable[str]) -> None:
    unknown = sorted(set(names) - set(METRICS))
    if unknown:
        raise ValueError(f"rules use unknown metrics {unknown}; known: {', '.join(sorted(METRICS))}")
