"""/v1/air/daily and /v1/water/classes: the daily AQI series and section classes behind the KPIs."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from services.alerts.api.deps import EngineDep, PublisherDep, SettingsDep, TodayDep
from services.alerts.api.models import AirDay, SectionClass
from services.alerts.api.params import PeriodParam, SectionParam, SubjectParam
from services.alerts.api.queries import ColumnEquals, DayRange, PeriodQuery, fetch
from services.alerts.api.routes.kpi import SECTIONS_SQL, section_class
from services.alerts.tables import AIR_DAILY_ITEMS

router = APIRouter(prefix="/v1", tags=["series"])

FIRST_DAY = "First local day; default the 1st of this month"


@router.get("/air/daily", responses={422: {"description": "A bad parameter, naming it"}})
def air_daily_series(
    engine: EngineDep,
    settings: SettingsDep,
    publish: PublisherDep,
    today: TodayDep,
    subject: SubjectParam = None,
    start: Annotated[
        date | None, Query(alias="from", description="First local day; default the 1st of this month")
    ] = None,
    end: Annotated[date | None, Query(alias="to", description="Last local day; default today (Beijing time)")] = None,
) -> list[AirDay]:
    """Daily AQI, category, primary pollutants and concentrations, with revision marks."""
    days = DayRange.parse(start or today.replace(day=1), end or today)
    with engine.connect() as connection:
        rows = fetch(
            connection,
            "select * from air_daily",
            [ColumnEquals("subject", subject or settings.alerts_city), days],
            "order by day",
        )
    return [
        AirDay(**{**row, **{item: publish.concentration(item, row[item]) for item in AIR_DAILY_ITEMS}}) for row in rows
    ]


@router.get("/water/classes", responses={422: {"description": "A bad parameter, naming it"}})
def water_classes(
    period: PeriodParam, engine: EngineDep, publish: PublisherDep, section: SectionParam = None
) -> list[SectionClass]:
    """Each section's class, main pollutants and period means."""
    with engine.connect() as connection:
        rows = fetch(
            connection, SECTIONS_SQL, [PeriodQuery.parse(period), ColumnEquals("section", section)], "order by section"
        )
    return [section_class(row, publish) for row in rows]
