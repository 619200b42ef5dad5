"""HTTP for operators: /healthz (the process answers), /readyz (broker and database), /metrics."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from services.ingest.service import Health


def create_app(health: Callable[[], Health], registry: CollectorRegistry) -> FastAPI:
    app = FastAPI(title="envmon ingest", docs_url=None, redoc_url=None)

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz")
    def readyz(response: Response) -> dict[str, bool]:
        state = health()
        response.status_code = 200 if state.ready else 503
        return {"ready": state.ready, "broker": state.broker_connected, "database": state.database_connected}

    @app.get("/metrics")
    def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return app
