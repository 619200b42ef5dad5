"""/v1/water/comparisons: two sources at a boundary section compared per month and indicator (比对)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from services.alerts.api.deps import EngineDep, PublisherDep
from services.alerts.api.models import ComparedSource, SourceComparison
from services.alerts.api.params import PeriodParam, SectionParam
from services.alerts.api.presentation import Publisher
from services.alerts.api.queries import ColumnEquals, MonthsQuery, fetch
from services.alerts.figures.comparison import IN_ORDER, NAMED_COMPARISONS
from services.standards.parameters import PARAMETERS

router = APIRouter(prefix="/v1/water", tags=["series"])


def _source(row: dict[str, Any], side: str, publish: Publisher, lake: bool) -> ComparedSource:
    mean = publish.concentration(row["parameter"], row[f"{side}_mean"], lake=lake)
    assert mean is not None
    return ComparedSource(
        station=row[f"{side}_station"],
        tier=row[f"{side}_tier"],
        party=row[f"{side}_party"],
        party_name=row[f"{side}_party_name"],
        mean=mean,
    )


def comparison(row: dict[str, Any], publish: Publisher) -> SourceComparison:
    """A water_comparison row with its figures published at the indicator's precision (TP by waterbody)."""
    lake = row["waterbody"] == "lake"
    difference = publish.concentration(row["parameter"], row["difference"], lake=lake)
    assert difference is not None
    return SourceComparison(
        section=row["section"],
        name=row["name"],
        period=row["period"],
        as_of=row["as_of"],
        parameter=row["parameter"],
        unit=PARAMETERS[row["parameter"]].unit if row["parameter"] in PARAMETERS else "",
        figures=publish.figures,
        first=_source(row, "first", publish, lake),
        second=_source(row, "second", publish, lake),
        paired_days=row["paired_days"],
        difference=difference,
        relative_deviation_percent=publish.percent(row["relative_deviation"]),
        tolerance=row["tolerance"],
        allowed=publish.concentration(row["parameter"], row["allowed"], lake=lake),
        agrees=row["agrees"],
        parties=row["parties"],
        published_at=row["published_at"],
        revision=row["revision"],
        revised_at=row["revised_at"],
    )


@router.get("/comparisons", responses={422: {"description": "A bad parameter, naming it"}})
def water_comparisons(
    period: PeriodParam, engine: EngineDep, publish: PublisherDep, section: SectionParam = None
) -> list[SourceComparison]:
    """Per boundary section, month and indicator: both sources' paired means, the difference, the relative
    deviation and whether they agree within the indicator's tolerance (a year lists each of its months)."""
    with engine.connect() as connection:
        rows = fetch(
            connection,
            NAMED_COMPARISONS,
            [MonthsQuery.parse(period), ColumnEquals("section", section)],
            IN_ORDER,
        )
    return [comparison(row, publish) for row in rows]
