"""/v1/kpi/*: where the city stands against the plan's targets, for a period, at reporting precision."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi import APIRouter, HTTPException

from services.alerts.api.coverage import COMPARISON_COLUMNS, comparisons
from services.alerts.api.deps import EngineDep, PublisherDep, SettingsDep
from services.alerts.api.models import (
    AirKpi,
    ClassShare,
    EcoFlow,
    EcoFlowFigure,
    GoodDayWindow,
    Problem,
    SectionClass,
    WasteKpi,
    WaterKpi,
)
from services.alerts.api.params import PeriodParam, SubjectParam, YearParam
from services.alerts.api.presentation import Publisher
from services.alerts.api.queries import ColumnEquals, DayRange, PeriodQuery, YearQuery, fetch
from services.alerts.tables import INDUSTRIAL_WASTE, WASTE_ROUTES
from services.standards import water_statistics

router = APIRouter(prefix="/v1/kpi", tags=["kpi"])

PUBLICATION = "published_at, revision, revised_at"

SECTIONS_SQL = f"""
    select section, stations.name, stations.control_level, coalesce(stations.waterbody, 'river') as waterbody, as_of,
           days, water_class, label, water_period.target_class, meets_target, main_pollutants, determining_items, means,
           statistic_rule, item_statistics, class_basis, {PUBLICATION}
    from water_period join stations on stations.code = water_period.section
"""

SHARE_SQL = f"select as_of, sections, sections_i_iii, share, statistic_rule, {PUBLICATION} from water_share"

WASTE_SQL = f"""
    select count(*) as days, {", ".join(f"sum({c}) as {c}" for c in (*WASTE_ROUTES, "household_total"))},
           sum(landfilled) / nullif(sum(household_total), 0) as landfill_share,
           {", ".join(f"sum({c}) as {c}" for c in INDUSTRIAL_WASTE)},
           sum(industrial_utilized) / nullif(sum(industrial_generated), 0) as utilization_rate,
           max(revision) as max_revision
    from waste_daily
"""


def section_class(row: dict[str, Any], publish: Publisher) -> SectionClass:
    """A water_period row with its means published at each item's precision (TP by waterbody)."""
    lake = row["waterbody"] == "lake"
    means = {item: publish.concentration(item, Decimal(mean), lake=lake) for item, mean in row["means"].items()}
    return SectionClass(**{**row, "means": means})


def with_percent(row: dict[str, Any], publish: Publisher, *columns: str) -> dict[str, Any]:
    """``row`` with each share column replaced by ``<column>_percent``."""
    shares = {f"{column}_percent": publish.percent(row[column]) for column in columns}
    return {**{k: v for k, v in row.items() if k not in columns}, **shares}


@router.get("/water", responses={422: {"description": "A bad period, naming it"}})
def kpi_water(period: PeriodParam, engine: EngineDep, settings: SettingsDep, publish: PublisherDep) -> WaterKpi:
    """Class Ⅰ–Ⅲ share of national and provincial sections, section classes and ecological flow."""
    query = PeriodQuery.parse(period)
    with engine.connect() as connection:
        share = fetch(connection, SHARE_SQL, [query])
        sections = fetch(connection, SECTIONS_SQL, [query], "order by section")
        eco = fetch(
            connection,
            f"select subject, as_of, days_with_data, days_attained, share, {PUBLICATION} from eco_flow_period",
            [query],
            "order by subject",
        )
    flows = [EcoFlowFigure(**with_percent(row, publish, "share")) for row in eco]
    city = settings.alerts_city
    return WaterKpi(
        period=query.period.key,
        kind="month" if query.period.month else "ytd",
        figures=publish.figures,
        class_i_iii=ClassShare(**with_percent(share[0], publish, "share")) if share else None,
        sections=[section_class(row, publish) for row in sections],
        statistic_rules={rule.value: text for rule, text in water_statistics.RULE_TEXT_ZH.items()},
        eco_flow=EcoFlow(
            city=next((f for f in flows if f.subject == city), None),
            sections=[f for f in flows if f.subject != city],
        ),
    )


@router.get("/air", responses={404: {"model": Problem, "description": "No air figures for the subject and year"}})
def kpi_air(
    year: YearParam, engine: EngineDep, settings: SettingsDep, publish: PublisherDep, subject: SubjectParam = None
) -> AirKpi:
    """Good days, valid days, share, bad-day budget and projection; PM2.5 mean and O3 MDA8 90th percentile
    year to date against the same days of last year, each with its validity and coverage (expected,
    observed and required days, percent complete, short months); ``change`` only when both are valid."""
    who = ColumnEquals("subject", subject or settings.alerts_city)
    with engine.connect() as connection:
        rows = fetch(connection, "select * from air_year", [YearQuery(year), who])
        windows = fetch(
            connection,
            "select window_name, as_of, first_day, good_days, valid_days, share from air_good_days",
            [who],
            "and extract(year from as_of) = :year",
            {"year": year},
        )
    if not rows:
        raise HTTPException(404, f"no air figures for {who.value} in {year}")
    row = {k: v for k, v in rows[0].items() if k not in COMPARISON_COLUMNS}
    return AirKpi(
        **with_percent(row, publish, "share", "best_case_share", "projected_share"),
        **comparisons(rows[0], publish),
        figures=publish.figures,
        windows={w.pop("window_name"): GoodDayWindow(**with_percent(w, publish, "share")) for w in windows},
    )


@router.get("/waste", responses={422: {"description": "A bad period, naming it"}})
def kpi_waste(period: PeriodParam, engine: EngineDep, publish: PublisherDep) -> WasteKpi:
    """Tonnes by route, landfill share of household waste and industrial utilisation over the period."""
    parsed = PeriodQuery.parse(period).period
    with engine.connect() as connection:
        [row] = fetch(connection, WASTE_SQL, [DayRange(parsed.first_day, parsed.last_day)])
    tonnes = {c: publish.tonnage(row[c]) for c in (*WASTE_ROUTES, "household_total", *INDUSTRIAL_WASTE)}
    return WasteKpi(
        period=parsed.key,
        figures=publish.figures,
        days=row["days"],
        **tonnes,
        landfill_share_percent=publish.percent(row["landfill_share"]),
        utilization_rate_percent=publish.percent(row["utilization_rate"]),
        max_revision=row["max_revision"],
    )
