"""HTTP side of the gateway: /metrics, /healthz, and the admin endpoints that send commands to loggers.

The admin endpoints change device state (clock, real-time upload), so they need the bearer token
``ENVMON_HJ212_ADMIN_TOKEN``; without one they are open only in development.
"""

from __future__ import annotations

import dataclasses
import hmac
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, HTTPException, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import AwareDatetime, BaseModel

from services.hj212_gateway.commands import CommandResult
from services.hj212_gateway.server import GatewayServer
from services.standards.local_time import BEIJING_TIME


class SetTime(BaseModel):
    system_time: AwareDatetime | None = None  # default: the platform's clock


class HistoryWindow(BaseModel):
    begin: AwareDatetime
    end: AwareDatetime


def _result(result: CommandResult) -> dict[str, Any]:
    return dataclasses.asdict(result)


def create_app(gateway: GatewayServer) -> FastAPI:
    app = FastAPI(title="envmon HJ 212 gateway", docs_url=None, redoc_url=None)
    settings = gateway.settings

    def admin(authorization: Annotated[str | None, Header()] = None) -> None:
        token = settings.hj212_admin_token
        if token is None:
            if settings.is_production:
                raise HTTPException(403, "admin endpoints need ENVMON_HJ212_ADMIN_TOKEN in production")
            return
        if authorization is None or not hmac.compare_digest(authorization, f"Bearer {token}"):
            raise HTTPException(401, "bearer token required")

    guarded = [Depends(admin)]

    @app.get("/metrics")
    def metrics() -> Response:
        return Response(generate_latest(gateway.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    @app.get("/healthz")
    def healthz(response: Response) -> dict[str, Any]:
        if not gateway.healthy:
            response.status_code = 503
        return {"listening": gateway.listening, "broker": gateway.forwarder.connected, "loggers": len(gateway.sessions)}

    @app.get("/loggers", dependencies=guarded)
    def loggers() -> dict[str, str]:
        return {mn: session.peer for mn, session in gateway.sessions.items()}

    @app.post("/loggers/{mn}/get-time", dependencies=guarded)
    async def get_time(mn: str) -> dict[str, Any]:
        return _result(await gateway.commands.get_time(mn))

    @app.post("/loggers/{mn}/set-time", dependencies=guarded)
    async def set_time(mn: str, body: SetTime) -> dict[str, Any]:
        return _result(await gateway.commands.set_time(mn, body.system_time or datetime.now(BEIJING_TIME)))

    @app.post("/loggers/{mn}/start-realtime", dependencies=guarded)
    async def start_realtime(mn: str) -> dict[str, Any]:
        return _result(await gateway.commands.start_realtime(mn))

    @app.post("/loggers/{mn}/stop-realtime", dependencies=guarded)
    async def stop_realtime(mn: str) -> dict[str, Any]:
        return _result(await gateway.commands.stop_realtime(mn))

    @app.post("/loggers/{mn}/history", dependencies=guarded)
    async def history(mn: str, body: HistoryWindow) -> dict[str, Any]:
        if body.end < body.begin:
            raise HTTPException(422, "end is before begin")
        return _result(await gateway.commands.history(mn, body.begin, body.end))

    @app.post("/loggers/{mn}/backfill", dependencies=guarded)
    async def backfill(mn: str) -> list[dict[str, Any]]:
        return [_result(result) for result in await gateway.commands.backfill(mn)]

    return app
