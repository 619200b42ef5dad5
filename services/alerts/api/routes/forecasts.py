"""/v1/air/forecasts: the bureau supplies the city's daily AQI forecast; the heavy-pollution warning rests on it.

Every forecast is kept (``air_forecasts``, append-only) with who supplied it and the authenticated actor,
like an acknowledgement; the newest one is what the ``heavy_pollution_warning`` rule rates at its next cycle.
"""

from __future__ import annotations

from typing import Annotated

import structlog
from fastapi import APIRouter, Depends, Request

from services.alerts.api.deps import EngineDep, IdentityDep, NowDep, SettingsDep
from services.alerts.api.models import AirForecast, ForecastReceipt, Problem
from services.alerts.rules.definitions import HeavyPollution
from services.alerts.rules.metrics.episodes import Forecast, forecast_level
from services.alerts.tables import air_forecasts
from services.standards.local_time import local_date

log = structlog.get_logger(__name__)
router = APIRouter(prefix="/v1/air", tags=["air"])


def get_heavy_pollution(request: Request) -> HeavyPollution:
    heavy: HeavyPollution = request.app.state.heavy_pollution
    return heavy


HeavyPollutionDep = Annotated[HeavyPollution, Depends(get_heavy_pollution)]


@router.post(
    "/forecasts",
    status_code=201,
    responses={
        400: {"model": Problem, "description": "The body is not UTF-8 JSON"},
        401: {"model": Problem, "description": "The identity header is configured but missing"},
    },
)
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
    actor = identity or body.by
    values = {
        "subject": settings.alerts_city,
        "submitted_at": now,
        "submitted_by": body.by,
        "actor": actor,
        "comment": body.comment,
        "first_day": body.days[0].day,
        "aqi": [day.aqi for day in body.days],
    }
    with engine.begin() as connection:
        forecast_id = connection.execute(
            air_forecasts.insert().values(values).returning(air_forecasts.c.id)
        ).scalar_one()
    forecast = Forecast(now, body.by, body.days[0].day, tuple(day.aqi for day in body.days))
    level = forecast_level(heavy, forecast.from_day(local_date(now)))
    log.info(
        "forecast received",
        id=forecast_id,
        actor=actor,
        days=len(body.days),
        warning=None if level is None else level.name,
    )
    return ForecastReceipt(
        id=forecast_id,
        subject=settings.alerts_city,
        submitted_at=now,
        submitted_by=body.by,
        actor=actor,
        comment=body.comment,
        days=body.days,
        warning_level=None if level is None else level.level,
        warning=None if level is None else level.name,
    )
