"""The compensation HTTP API (JSON) and finance pages: ``create_app`` only wires routers and handlers."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine

from services.compensation.api.errors import add_error_handlers
from services.compensation.api.routes import (
    admin,
    agreements,
    confirmations,
    login,
    monitoring,
    pages,
    statements,
    system,
)
from services.compensation.metrics import CompensationMetrics
from services.compensation.settings import CompensationSettings

STATIC = Path(__file__).resolve().parents[1] / "static"


def create_app(engine: Engine, settings: CompensationSettings) -> FastAPI:
    app = FastAPI(
        title="envmon compensation",
        version="2",
        description=(
            "Cross-boundary water eco-compensation: agreements, statements (结算单) and their exports. "
            "Figures are published at reporting precision (GB/T 8170; money to the fen, half up); "
            "`?exact=true` returns the stored exact values. Times are Beijing time (UTC+08:00)."
        ),
    )
    app.state.engine = engine
    app.state.settings = settings
    app.state.metrics = CompensationMetrics()
    app.state.metrics.instrument(app)
    add_error_handlers(app, engine)
    for module in (system, login, agreements, statements, monitoring, confirmations, admin, pages):
        app.include_router(module.router)
    app.mount("/ui/static", StaticFiles(directory=STATIC), name="static")
    return app
