"""The KPI and alerts HTTP API (FastAPI; OpenAPI at /docs). Reads only the computed tables.

``create_app`` only wires: the engine and settings go to ``app.state`` for ``deps``, the routers
(``routes/``) hold the handlers, and ``QueryError`` (a parameter the schema cannot judge alone, e.g.
``from`` after ``to``) answers 422 naming the parameter, in FastAPI's validation-error shape. A value
off a parameter's pattern gets a message saying what the pattern means.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from prometheus_client import CollectorRegistry
from sqlalchemy import Engine

from services.alerts.api.body import json_invalid
from services.alerts.api.params import PATTERN_MESSAGES
from services.alerts.api.queries import QueryError
from services.alerts.api.routes import alerts, comparison, forecasts, health, kpi, series
from services.alerts.api.routes import runbooks as runbook_routes
from services.alerts.context import Clock, utc_now
from services.alerts.rules import runbooks
from services.alerts.rules.definitions import RuleBook, load_rules
from services.alerts.settings import AlertsSettings


def query_error(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, QueryError)
    return JSONResponse(
        status_code=422,
        content={"detail": [{"loc": ["query", error.parameter], "msg": str(error), "type": "value_error"}]},
    )


def validation_error(_: Request, error: Exception) -> JSONResponse:
    """FastAPI's 422, with pattern mismatches explained in words; a body that is not JSON is the declared 400."""
    assert isinstance(error, RequestValidationError)
    if (not_json := json_invalid(list(error.errors()))) is not None:
        return not_json
    details = [
        {**detail, "msg": f"{detail['loc'][-1]} {PATTERN_MESSAGES[pattern]}"}
        if detail.get("type") == "string_pattern_mismatch"
        and (pattern := detail.get("ctx", {}).get("pattern")) in PATTERN_MESSAGES
        else detail
        for detail in error.errors()
    ]
    return JSONResponse(status_code=422, content={"detail": jsonable_encoder(details)})


def create_app(
    engine: Engine,
    settings: AlertsSettings,
    *,
    metrics_registry: CollectorRegistry,
    rule_book: RuleBook | None = None,
    clock: Clock = utc_now,
) -> FastAPI:
    """The API over the computed tables; /metrics serves ``metrics_registry`` (the service's own), /runbooks
    the page of ``rule_book`` (default: the rule file of the settings). ``clock`` (the service's) gives the
    moment defaults such as "today" (the Beijing local day) are taken from."""
    app = FastAPI(
        title="envmon alerts",
        version="1",
        description=(
            "KPIs against the plan's targets, daily AQI and water classes, alert states. Figures are strings in "
            "plain decimal notation at their GB/T 8170 reporting precision; `?exact=true` gives the exact values."
        ),
    )
    app.state.engine = engine
    app.state.settings = settings
    app.state.metrics_registry = metrics_registry
    app.state.clock = clock
    book = rule_book or load_rules(settings.alerts_rules_path)
    app.state.heavy_pollution = book.heavy_pollution
    app.state.runbooks = runbooks.render(book, settings.precision_table, settings.grafana_url)
    app.add_exception_handler(QueryError, query_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    routers = (
        health.router,
        kpi.router,
        series.router,
        comparison.router,
        forecasts.router,
        alerts.router,
        runbook_routes.router,
    )
    for router in routers:
        app.include_router(router)
    return app
