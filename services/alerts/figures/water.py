"""Water: daily means per section (flag N only), period classes, the Class Ⅰ–Ⅲ share, ecological flow.

Daily means are computed in SQL (numeric). A period's class is the GB 3838 class of the period
means (``services.standards.water.classify_period``), the period mean being the mean of the daily
means over the days that have the item; a month runs to today while it is current (month-to-date,
the early warning), a year is year-to-date.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

from sqlalchemy import select

from services.alerts.context import Computation
from services.alerts.figures.exact import as_decimal
from services.alerts.figures.publication import PUBLISHED_DAY_SQL, publish_rows, publish_select, published_at
from services.alerts.periods import CalendarPeriod
from services.alerts.tables import eco_flow_daily, eco_flow_period, water_daily, water_period, water_share
from services.standards import water
from services.standards.local_time import day_end

CLASS_ITEMS = frozenset(water.GB3838_2002.codes)
GOOD_CLASS = 3  # Class Ⅲ or better counts towards the share KPI
FLOW = "flow"


_WATER_DAILY_SQL = f"""
    select section, day, parameter, mean, samples, {PUBLISHED_DAY_SQL}
    from (
        select station as section, (time at time zone :tz)::date as day, parameter,
               trim_scale(sum(value::numeric) / count(*)) as mean, count(*) as samples
        from readings
        where station = any(:sections) and flag = 'N' and time >= :start and time < :end
        group by 1, 2, 3
    ) daily
"""

_ECO_FLOW_SQL = f"""
    select section, day, mean, eco_flow_min_m3s, mean >= eco_flow_min_m3s, {PUBLISHED_DAY_SQL}
    from water_daily join stations on stations.code = water_daily.section
    where parameter = '{FLOW}' and eco_flow_min_m3s is not null and day between :first and :last
"""


def compute_water_days(job: Computation, first: date, last: date) -> int:
    params = {**job.bounds(first, last), "sections": job.registry.section_codes}
    written = publish_select(job.connection, water_daily, _WATER_DAILY_SQL, params)
    return written + publish_select(job.connection, eco_flow_daily, _ECO_FLOW_SQL, params)


def _daily_samples(job: Computation, period: CalendarPeriod, through: date) -> dict[str, list[dict[str, Decimal]]]:
    rows = job.connection.execute(
        select(water_daily.c.section, water_daily.c.day, water_daily.c.parameter, water_daily.c.mean)
        .where(water_daily.c.day.between(period.first_day, through))
        .where(water_daily.c.parameter.in_(CLASS_ITEMS))
    )
    days: dict[str, dict[date, dict[str, Decimal]]] = defaultdict(lambda: defaultdict(dict))
    for section, day, parameter, mean in rows:
        days[section][day][parameter] = mean
    return {section: list(by_day.values()) for section, by_day in days.items()}


def section_period_rows(job: Computation, period: CalendarPeriod) -> list[dict[str, Any]]:
    through = period.through(job.today)
    samples = _daily_samples(job, period, through)
    published = published_at(day_end(period.last_day), job.now)
    rows = []
    for section in job.registry.sections:
        section_samples = samples.get(section.code)
        if not section_samples:
            continue
        result = water.classify_period(section_samples, section.waterbody)
        target = section.target_class
        rows.append(
            {
                "section": section.code,
                "period": period.key,
                "as_of": through,
                "days": len(section_samples),
                "water_class": result.water_class,
                "label": result.label,
                "target_class": target,
                "meets_target": None if target is None else water.meets(result.water_class, target),
                "main_pollutants": list(result.main_pollutants),
                "determining_items": list(result.determining_items),
                "means": {code: str(v) for code, v in water.period_means(section_samples).items()},
                "published_at": published,
            }
        )
    return rows


def share_row(job: Computation, period: CalendarPeriod, sections: list[dict[str, Any]]) -> dict[str, Any]:
    counted = {s.code for s in job.registry.sections if s.control_level in job.share_control_levels}
    classes = [row["water_class"] for row in sections if row["section"] in counted]
    return {
        "period": period.key,
        "as_of": period.through(job.today),
        "sections": len(classes),
        "sections_i_iii": sum(1 for c in classes if c <= GOOD_CLASS),
        "share": water.class_i_iii_share(classes),
        "published_at": published_at(day_end(period.last_day), job.now),
    }


def eco_flow_rows(job: Computation, period: CalendarPeriod) -> list[dict[str, Any]]:
    through = period.through(job.today)
    rows = job.connection.execute(
        select(eco_flow_daily.c.section, eco_flow_daily.c.attained).where(
            eco_flow_daily.c.day.between(period.first_day, through)
        )
    ).all()
    tallies: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for section, attained in rows:
        for subject in (section, job.registry.city):
            tallies[subject][0] += 1
            tallies[subject][1] += int(attained)
    published = published_at(day_end(period.last_day), job.now)
    return [
        {
            "subject": subject,
            "period": period.key,
            "as_of": through,
            "days_with_data": days,
            "days_attained": attained,
            "share": as_decimal(Fraction(attained, days)),
            "published_at": published,
        }
        for subject, (days, attained) in tallies.items()
    ]


def compute_water_periods(job: Computation, periods: Iterable[CalendarPeriod]) -> int:
    written = 0
    for period in sorted(set(periods), key=lambda p: (p.year, p.month or 0)):
        if period.first_day > job.today:
            continue
        sections = section_period_rows(job, period)
        written += publish_rows(job.connection, water_period, sections)
        if sections:
            written += publish_rows(job.connection, water_share, [share_row(job, period, sections)])
        written += publish_rows(job.connection, eco_flow_period, eco_flow_rows(job, period))
    return written
