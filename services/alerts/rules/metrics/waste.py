"""Waste metrics: landfilled household waste year to date (the zero-landfill target) and on the last day."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from urllib.parse import urlencode

from sqlalchemy import Connection, text

from services.alerts.rules.metrics import wording
from services.alerts.rules.metrics.model import Metric, MetricContext, Observation
from services.alerts.rules.windows import PeriodKind

LANDFILL_DAYS_NAMED = 5  # the latest landfill days a description lists

_YEAR_SQL = f"""
    select sum(landfilled) as landfilled, sum(household_total) as household, max(day) as as_of,
           (array_agg(day order by day desc) filter (where landfilled > 0))[1:{LANDFILL_DAYS_NAMED}] as landfill_days,
           count(*) filter (where landfilled > 0) as landfill_day_count
    from waste_daily where day between make_date(:year, 1, 1) and :today having sum(household_total) > 0
"""


def _kpi_path(period: str) -> str:
    return "/v1/kpi/waste?" + urlencode({"period": period})


def landfill_share(connection: Connection, context: MetricContext) -> Iterator[Observation]:
    period, table = context.period(PeriodKind.YEAR), context.precision
    params = {"year": int(period.key), "today": context.today}
    row = connection.execute(text(_YEAR_SQL), params).mappings().one_or_none()
    if row is None:
        return
    landfilled, household = (wording.tonnes(table, row[c]) for c in ("landfilled", "household"))
    days = ""
    if row["landfill_day_count"]:
        named = wording.listing(f"{d.month}月{d.day}日" for d in row["landfill_days"])
        days = f"，填埋日 {wording.days(row['landfill_day_count'])} (最近：{named})"
    yield Observation(
        subject=context.city,
        period=period.key,
        value=row["landfilled"] / row["household"],
        shown=landfilled,
        target=wording.tonnes(table, Decimal(0)),
        description=(
            f"{context.city} {context.label(period, row['as_of'])} 生活垃圾处理 {household}，"
            f"其中填埋 {landfilled} ({wording.percent(table, row['landfilled'] / row['household'])}){days}"
        ),
        api_path=_kpi_path(period.key),
        as_of=row["as_of"],
    )


def landfilled_latest(connection: Connection, context: MetricContext) -> Iterator[Observation]:
    period, table = context.period(PeriodKind.DAY), context.precision
    landfilled = connection.execute(
        text("select landfilled from waste_daily where day = :day"), {"day": period.first_day}
    ).scalar_one_or_none()
    if landfilled is None:
        return
    yield Observation(
        subject=context.city,
        period=period.key,
        value=landfilled,
        shown=wording.tonnes(table, landfilled),
        target=wording.tonnes(table, Decimal(0)),
        description=f"{context.city} {context.label(period)} 填埋生活垃圾 {wording.tonnes(table, landfilled)}",
        api_path=_kpi_path(period.key[:7]),
    )


METRICS = (
    Metric(
        "waste.landfill_share_ytd",
        PeriodKind.YEAR,
        "年累计生活垃圾填埋比例",
        landfill_share,
    ),
    Metric(
        "waste.landfilled_latest",
        PeriodKind.DAY,
        "昨日生活垃圾填埋量(t)",
        landfilled_latest,
    ),
)
