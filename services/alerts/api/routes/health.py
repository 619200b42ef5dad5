"""/healthz (the database answers) and /metrics (Prometheus)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from services.alerts.api.deps import EngineDep
from services.alerts.api.models import Health
from services.common.openapi import METRICS_RESPONSES

router = APIRouter(tags=["operations"])


@router.get("/healthz", responses={503: {"model": Health, "description": "The database does not answer"}})
def healthz(engine: EngineDep, response: Response) -> Health:
    try:
        with engine.connect() as connection:
            connection.execute(text("select 1"))
    except SQLAlchemyError:
        response.status_code = 503
        return Health(status="database unavailable")
    return Health(status="ok")


@router.get("/metrics", response_class=PlainTextResponse, responses=METRICS_RESPONSES)
def metrics(request: Request) -> PlainTextResponse:
    """The service's own metrics (``envmon_alerts_*``; no process or Python collectors, like the other services)."""
    return PlainTextResponse(generate_latest(request.app.state.metrics_registry), media_type=CONTENT_TYPE_LATEST)
