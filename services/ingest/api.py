"""HTTP for operators: /healthz (the process answers), /readyz (broker and database), /metrics.

Every JSON answer has its model in /openapi.json (no /docs page: operators and probes only).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from fastapi import FastAPI, Response
from fastapi.responses import PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from pydantic import BaseModel, ConfigDict, Field

from services.common.openapi import METRICS_RESPONSES
from services.ingest.service import Health


class Liveness(BaseModel):
    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"ready": True, "broker": True, "database": True, "worker": True}]}
    )

    ready: bool = Field(description="Subscribed, the last database operation succeeded and a worker is running")
    broker: bool = Field(description="Connected and subscribed to the broker")
    database: bool = Field(description="The last database operation succeeded")
    worker: bool = Field(description="A decode-and-commit worker process is running (false while one is replaced)")


def create_app(health: Callable[[], Health], registry: CollectorRegistry) -> FastAPI:
    app = FastAPI(title="envmon ingest", version="1", docs_url=None, redoc_url=None)

    @app.get("/healthz")
    def healthz() -> Liveness:
        """The process answers (liveness)."""
        return Liveness()

    @app.get(
        "/readyz",
        responses={503: {"model": Readiness, "description": "Not subscribed, the database fails, or no worker runs"}},
    )
    def readyz(response: Response) -> Readiness:
        """200 only when subscribed to the broker, the last database operation succeeded and a worker runs."""
        state = health()
        response.status_code = 200 if state.ready else 503
        return Readiness(
            ready=state.ready,
            broker=state.broker_connected,
            database=state.database_connected,
            worker=state.worker_running,
        )

    @app.get("/metrics", response_class=PlainTextResponse, responses=METRICS_RESPONSES)
    def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return app
