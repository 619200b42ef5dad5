"""/v1/air/forecasts: the bureau supplies the city's daily AQI forecast; the heavy-pollution warning rests on it.

Every forecast is kept (``air_forecasts``, append-only) with who supplied it and the authenticated actor,
like an acknowledgement, and can be read back (newest first); the newest one is what the
``heavy_pollution_warning`` rule rates at its next cycle.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy import RowMapping, select

from services.alerts.api.body import BAD_BODY, Utf8JsonRoute
from services.alerts.api.deps import EngineDep, IdentityDep, NowDep, SettingsDep
from services.alerts.api.models import AirForecast, ForecastDay, ForecastReceipt, Problem
from services.alerts.rules.definitions import HeavyPollution
from services.alerts.rules.metrics.episodes import Forecast, forecast_level
from services.alerts.tables import air_forecasts
from services.standards.local_time import local_date

log = structlog.get_logger(__name__)
router = APIRouter(prefix="/v1/air", tags=["air"], route_class=Utf8JsonRoute)


def get_heavy_pollution(request: Request) -> HeavyPollution:
    heavy: HeavyPollution = request.app.state.heavy_pollution
    return heavy


HeavyPollutionDep = Annotated[HeavyPollution, Depends(get_heavy_pollution)]


MAX_LISTED = 100
LimitParam = Annotated[int, Query(description="Most forecasts returned, newest first", ge=1, le=MAX_LISTED)]
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": Problem, "description": BAD_BODY},
    401: {"model": Problem, "description": "The identity header is configured but missing"},
}


def _receipt(row: RowMapping, today: date, heavy: HeavyPollution) -> ForecastReceipt:
    """A stored forecast, with the warning level its days from ``today`` on reach."""
    forecast = Forecast(row["submitted_at"], row["submitted_by"], row["first_day"], tuple(row["aqi"]))
    level = forecast_level(heavy, forecast.from_day(today))
    return ForecastReceipt(
        id=row["id"],
        subject=row["subject"],
        submitted_at=row["submitted_at"],
        submitted_by=row["submitted_by"],
        actor=row["actor"],
        comment=row["comment"],
        days=[ForecastDay(day=day, aqi=aqi) for day, aqi in forecast.from_day(forecast.first_day)],
        warning_level=None if level is None else level.level,
        warning=None if level is None else level.name,
    )


@router.post("/forecasts", status_code=201, responses=ERRORS)
def submit_forecast(
    body: AirForecast,
    engine: EngineDep,
    settings: SettingsDep,
    heavy: HeavyPollutionDep,
    identity: IdentityDep,
    now: NowDep,
) -> ForecastReceipt:
    """Supply the city's daily AQI forecast (consecutive days). The answer gives the warning level the days from
    today on reach under the province's scheme (rules.yaml ``heavy_pollution``); the alert follows within a cycle."""
    values = {
        "subject": settings.alerts_city,
        "submitted_at": now,
        "submitted_by": body.by,
        "actor": identity or body.by,
        "comment": body.comment,
        "first_day": body.days[0].day,
        "aqi": [day.aqi for day in body.days],
    }
    with engine.begin() as connection:
        row = connection.execute(air_forecasts.insert().values(values).returning(*air_forecasts.c)).mappings().one()
    receipt = _receipt(row, local_date(now), heavy)
    log.info("forecast received", id=receipt.id, actor=receipt.actor, days=len(receipt.days), warning=receipt.warning)
    return receipt


@router.get("/forecasts")
def list_forecasts(
    engine: EngineDep, settings: SettingsDep, heavy: HeavyPollutionDep, now: NowDep, limit: LimitParam = 20
) -> list[ForecastReceipt]:
    """The city's forecasts as supplied, newest first (the first is the one the warning rests on), each with
    who supplied it and the warning level its days from today on reach."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(air_forecasts)
            .where(air_forecasts.c.subject == settings.alerts_city)
            .order_by(air_forecasts.c.id.desc())
            .limit(limit)
        ).mappings()
        return [_receipt(row, local_date(now), heavy) for row in rows]
