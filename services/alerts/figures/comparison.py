"""Paired comparison at boundary sections (比对): per section, month, indicator and pair of sources.

A section's sources are its own station's automatic readings, the joint and manual laboratory results
uploaded for it (readings of tier ``joint-manual`` / ``manual`` at the section's code), and the automatic
readings of every station another party runs at it (``stations.monitors_section``). Each source gives a
daily mean per indicator (flag N only, Beijing-time days); two sources are paired on the days both have,
and ``services.standards.comparison`` compares them with the indicator's tolerance. A month runs to
today while it is current, like the water periods. ``parties`` names whoever must hear of a disagreement:
the operators behind the two sources and the parties of the compensation agreements on the section.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from itertools import combinations
from typing import Any

from sqlalchemy import text

from services.alerts.context import Computation
from services.alerts.figures.exact import as_decimal
from services.alerts.figures.publication import publish_rows, published_at, withdraw_unstaged
from services.alerts.periods import CalendarPeriod
from services.alerts.tables import water_comparison
from services.standards.comparison import Reference, compare
from services.standards.local_time import day_end
from services.standards.water_statistics import AUTOMATIC_FIRST, Tier

LABORATORY = frozenset({Tier.JOINT_MANUAL, Tier.MANUAL})

# What the API and the alert read: water_comparison rows with the section's name and waterbody, and each
# source's operator (party code) and the party's name; filter on the unqualified columns.
NAMED_COMPARISONS = """
    select * from (
        select c.*, s.name, coalesce(s.waterbody, 'river') as waterbody,
               st1.operator as first_party, p1.name as first_party_name,
               st2.operator as second_party, p2.name as second_party_name
        from water_comparison c
        join stations s on s.code = c.section
        join stations st1 on st1.code = c.first_station
        join stations st2 on st2.code = c.second_station
        left join parties p1 on p1.code = st1.operator
        left join parties p2 on p2.code = st2.operator
    ) compared
"""
# The parties of the compensation agreements on each section, from the compensation service's stored versions (the
# latest per agreement), read in SQL: services never import one another, and the stored documents are canonical JSON.
_AGREEMENT_PARTIES_SQL = """
    with latest as (
        select distinct on (agreement_id) content::jsonb as document
        from compensation_agreement_versions
        order by agreement_id, effective_from desc, version desc
    )
    select distinct section ->> 'code', party
    from latest, jsonb_array_elements(document -> 'sections') as section,
         unnest(array[document #>> '{parties,upstream,code}', document #>> '{parties,downstream,code}']) as party
"""
IN_ORDER = "order by section, period, parameter, first_station, first_tier, second_station, second_tier"

_SOURCE_DAYS_SQL = """
    select coalesce(s.monitors_section, s.code) as section, r.station, s.operator,
           case when r.source in ('joint-manual', 'manual') then r.source else 'automatic' end as tier,
           (r.time at time zone :tz)::date as day, r.parameter,
           sum(r.value::numeric) / count(*) as mean
    from readings r join stations s on s.code = r.station
    where s.kind = 'water' and r.flag = 'N' and r.time >= :start and r.time < :end and r.parameter <> 'flow'
      and coalesce(s.monitors_section, s.code) = any(:sections)
    group by 1, 2, 3, 4, 5, 6
"""
# Sections that can have a pair in the period: a partner's station at them, or laboratory results of the period
# (from the day tallies, so the readings of sections with one source are never grouped).
_COMPARED_SECTIONS_SQL = f"""
    select monitors_section from stations where monitors_section is not null
    union
    select section from water_daily where tier <> '{Tier.AUTOMATIC}' and day between :first and :last
"""


@dataclass(frozen=True, slots=True, order=True)
class Source:
    """One source at a section, in the order a pair lists them: automatic stations before laboratory results
    (which are the reference), the section's own station before a partner's, joint before manual."""

    tier_rank: int  # automatic before joint manual before manual
    partner: bool  # a station another party runs at the section
    station: str
    tier: Tier


def _parties(source: Source, operators: dict[str, str | None], section_parties: set[str]) -> set[str]:
    """Who stands behind a source: its station's operator; a laboratory result stands for the section's parties."""
    if source.tier in LABORATORY:
        return section_parties
    operator = operators[source.station]
    return set() if operator is None else {operator}


def _reference(first: Source, second: Source) -> Reference:
    return Reference.SECOND if second.tier in LABORATORY and first.tier not in LABORATORY else Reference.MEAN


def month_rows(job: Computation, period: CalendarPeriod) -> list[dict[str, Any]]:
    through = period.through(job.today)
    params = job.bounds(period.first_day, through)
    params["sections"] = list(job.connection.execute(text(_COMPARED_SECTIONS_SQL), params).scalars())
    days: dict[tuple[str, str], dict[Source, dict[date, Decimal]]] = defaultdict(lambda: defaultdict(dict))
    operators: dict[str, dict[str, str | None]] = defaultdict(dict)  # section → station → operator
    for section, station, operator, tier, day, parameter, mean in job.connection.execute(
        text(_SOURCE_DAYS_SQL), params
    ):
        source = Source(AUTOMATIC_FIRST.index(Tier(tier)), station != section, station, Tier(tier))
        days[(section, parameter)][source][day] = mean
        operators[section][station] = operator
    published = published_at(day_end(period.last_day), job.now)
    signed: dict[str, set[str]] = defaultdict(set)  # section → parties of the agreements on it
    for section, party in job.connection.execute(text(_AGREEMENT_PARTIES_SQL)):
        signed[section].add(party)
    rows = []
    for (section, parameter), sources in sorted(days.items()):
        section_parties = {party for party in operators[section].values() if party is not None}
        for first, second in combinations(sorted(sources), 2):
            paired = sorted(set(sources[first]) & set(sources[second]))
            if not paired:
                continue
            tolerance = job.tolerances.of(parameter)
            result = compare(
                [(sources[first][d], sources[second][d]) for d in paired], tolerance, _reference(first, second)
            )
            behind = (_parties(source, operators[section], section_parties) for source in (first, second))
            parties = set().union(*behind, signed[section])
            rows.append(
                {
                    "section": section,
                    "period": period.key,
                    "parameter": parameter,
                    "first_station": first.station,
                    "first_tier": first.tier.value,
                    "second_station": second.station,
                    "second_tier": second.tier.value,
                    "as_of": through,
                    "paired_days": result.pairs,
                    "first_mean": as_decimal(result.first_mean),
                    "second_mean": as_decimal(result.second_mean),
                    "difference": as_decimal(result.difference),
                    "relative_deviation": as_decimal(result.relative_deviation),
                    "allowed": as_decimal(result.allowed),
                    "tolerance": None if tolerance is None else tolerance.describe(),
                    "agrees": result.agrees,
                    "parties": sorted(parties),
                    "published_at": published,
                }
            )
    return rows


def compute_comparisons(job: Computation, periods: Iterable[CalendarPeriod]) -> int:
    """The comparison rows of every month among ``periods`` that has begun."""
    written = 0
    for period in sorted({p for p in periods if p.month is not None}, key=lambda p: (p.year, p.month or 0)):
        if period.first_day <= job.today:
            written += publish_rows(job.connection, water_comparison, month_rows(job, period))
            # a pair whose readings were withdrawn (e.g. a joint upload taken back) leaves the month
            written += withdraw_unstaged(job.connection, water_comparison, "t.period = :period", {"period": period.key})
    return written
