"""Water: daily values per section and source tier (flag N only), period classes, the Class Ⅰ–Ⅲ share,
ecological flow.

SQL sums each day's valid readings per section, item and source tier (``services.storage.schema.
SOURCE_TIERS``) with the values the station programme expects that day. A period's values follow the
rule of their source (``services.standards.water_statistics``: automatic data by the 2020 statistics
rule, daily values then their mean; laboratory samples by 环办〔2011〕22号, the mean of the samples),
and every row names the rule that made it (``statistic_rule``, per item in ``item_statistics``).
The class is the GB 3838 class of the period values, on the basis set by ``ENVMON_ALERTS_WATER_CLASS_BASIS``
(by default each value as published, so a published mean and its class agree); a month runs to today while it is current
(month-to-date, the early warning), a year is year-to-date. ``tests/alerts/figures/test_water_rules.py``
proves the SQL sums and the standards give what the standards give on the raw readings.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from fractions import Fraction
from typing import Any

from sqlalchemy import Connection, select, text

from services.alerts.context import Computation
from services.alerts.figures.exact import as_decimal
from services.alerts.figures.publication import PUBLISHED_DAY_SQL, publish_rows, publish_select, published_at
from services.alerts.periods import CalendarPeriod
from services.alerts.tables import eco_flow_daily, eco_flow_period, water_daily, water_period, water_share
from services.standards import water
from services.standards import water_statistics as ws
from services.standards.local_time import day_end
from services.storage.schema import SOURCE_TIERS

CLASS_ITEMS = frozenset(water.GB3838_2002.codes)
GOOD_CLASS = 3  # Class Ⅲ or better counts towards the share KPI
FLOW = "flow"
SECONDS_PER_DAY = 24 * 60 * 60

_TIER_SQL = "case source " + " ".join(f"when '{s}' then '{t}'" for s, t in SOURCE_TIERS.items()) + " end"

# Programme intervals divide a day and programme periods start on whole days: a day expects 86400 / interval.
_WATER_DAILY_SQL = f"""
    select section, day, parameter, tier, trim_scale(total / samples), samples, total, programme.expected,
           {PUBLISHED_DAY_SQL}
    from (
        select station as section, (time at time zone :tz)::date as day, parameter, {_TIER_SQL} as tier,
               count(*) as samples, sum(value::numeric) as total
        from readings
        where station = any(:sections) and flag = 'N' and time >= :start and time < :end
        group by 1, 2, 3, 4
    ) daily
    left join lateral (
        select ({SECONDS_PER_DAY} / extract(epoch from p.interval))::integer as expected
        from station_programmes p
        where p.station = daily.section and p.parameter = daily.parameter
          and p.valid_from <= daily.day and (p.valid_to is null or daily.day < p.valid_to)
    ) programme on daily.tier = '{ws.Tier.AUTOMATIC}'
"""

# The day's mean flow over every valid reading, whatever its source.
_ECO_FLOW_SQL = f"""
    select section, day, mean, eco_flow_min_m3s, mean >= eco_flow_min_m3s, {PUBLISHED_DAY_SQL}
    from (
        select section, day, trim_scale(sum(total) / sum(samples)) as mean
        from water_daily where parameter = '{FLOW}' and day between :first and :last
        group by section, day
    ) flow join stations on stations.code = flow.section
    where eco_flow_min_m3s is not null
"""


def tally_water_days(job: Computation, first: date, last: date) -> int:
    """The day tallies of the sections' readings (``water_daily``): they change only with the readings or the
    programme."""
    params = {**job.bounds(first, last), "sections": job.registry.section_codes}
    return publish_select(job.connection, water_daily, _WATER_DAILY_SQL, params)


def compute_eco_flow_days(job: Computation, first: date, last: date) -> int:
    """Each section's day against its ecological flow, from the day tallies."""
    return publish_select(job.connection, eco_flow_daily, _ECO_FLOW_SQL, job.bounds(first, last))


class _SectionDays:
    """One section's valid readings of a period as day tallies per item and tier, with the programme."""

    def __init__(self) -> None:
        self.tallies: dict[tuple[str, ws.Tier], dict[date, ws.Tally]] = defaultdict(dict)
        self.expected: dict[tuple[str, date], int] = {}
        self.days: set[date] = set()

    def expected_on(self, item: str, day: date) -> int:
        return self.expected.get((item, day), 0)


def _section_days(job: Computation, period: CalendarPeriod, through: date) -> dict[str, _SectionDays]:
    c = water_daily.c
    rows = job.connection.execute(
        select(c.section, c.day, c.parameter, c.tier, c.samples, c.total, c.expected)
        .where(c.day.between(period.first_day, through))
        .where(c.parameter.in_(CLASS_ITEMS))
    )
    sections: dict[str, _SectionDays] = defaultdict(_SectionDays)
    for section, day, parameter, tier, samples, total, expected in rows:
        days = sections[section]
        days.tallies[(parameter, ws.Tier(tier))][day] = ws.Tally(samples, Fraction(total))
        days.days.add(day)
        if expected is not None:
            days.expected[(parameter, day)] = expected
    return sections


def section_period_rows(job: Computation, period: CalendarPeriod) -> list[dict[str, Any]]:
    through = period.through(job.today)
    sections = _section_days(job, period, through)
    published = published_at(day_end(period.last_day), job.now)
    kind: ws.PeriodKind = "year" if period.month is None else "month"
    rows = []
    for section in job.registry.sections:
        days = sections.get(section.code)
        if days is None:
            continue
        values = ws.period_values(days.tallies, kind, days.expected_on, job.water_minimums)
        if not values:
            continue
        exact = {code: v.exact for code, v in values.items()}
        result = water.classify_section(exact, section.waterbody, basis=job.water_class_basis)
        target = section.target_class
        rows.append(
            {
                "section": section.code,
                "period": period.key,
                "as_of": through,
                "days": len(days.days),
                "water_class": result.water_class,
                "label": result.label,
                "target_class": target,
                "meets_target": None if target is None else water.meets(result.water_class, target),
                "main_pollutants": list(result.main_pollutants),
                "determining_items": list(result.determining_items),
                "means": {code: str(v.value) for code, v in values.items()},
                "statistic_rule": ws.figure_rule(values.values()),
                "item_statistics": {item: v.statistics() for item, v in sorted(values.items())},
                "class_basis": result.basis.value,
                "published_at": published,
            }
        )
    return rows


def share_row(job: Computation, period: CalendarPeriod, sections: list[dict[str, Any]]) -> dict[str, Any]:
    counted = {s.code for s in job.registry.sections if s.control_level in job.share_control_levels}
    rows = [row for row in sections if row["section"] in counted]
    classes = [row["water_class"] for row in rows]
    return {
        "period": period.key,
        "as_of": period.through(job.today),
        "sections": len(classes),
        "sections_i_iii": sum(1 for c in classes if c <= GOOD_CLASS),
        "share": water.class_i_iii_share(classes),
        "statistic_rule": ws.combined_rule(row["statistic_rule"] for row in rows) if rows else None,
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


# The first day of each period (a month "2026-06", a year "2026") whose class was decided on another basis.
_OTHER_BASIS_SQL = """
    insert into recompute_queue (station, day, readings)
    select distinct section,
           case when length(period) = 7 then to_date(period || '-01', 'YYYY-MM-DD') else to_date(period, 'YYYY') end,
           0
    from water_period
    where class_basis is distinct from :basis
    on conflict (station, day) do update set modified_at = now()
"""


def queue_other_basis(connection: Connection, basis: water.ClassBasis) -> int:
    """Queue the periods classed on another basis than ``basis`` (or before bases were recorded) for restating."""
    return connection.execute(text(_OTHER_BASIS_SQL), {"basis": basis.value}).rowcount


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
