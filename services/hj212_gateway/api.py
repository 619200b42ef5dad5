"""HTTP side of the gateway: /metrics, /healthz, and the admin endpoints that send commands to loggers.

The admin endpoints change device state (clock, real-time upload), so they need the bearer token
``ENVMON_HJ212_ADMIN_TOKEN``; without one they are open only in development. Every JSON answer has
its model in /openapi.json; the MN and the times are checked at the edge (422 naming them).
"""

from __future__ import annotations

import hmac
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, HTTPException, Path, Response
from fastapi.responses import PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from services.common.openapi import METRICS_RESPONSES
from services.hj212_gateway.commands import CommandResult, Outcome
from services.hj212_gateway.server import GatewayServer
from services.standards.local_time import BEIJING_TIME

# HJ 212 MN: 1–24 ASCII letters or digits (services.standards.hj212.frame)
MN_PATTERN = r"^[0-9A-Za-z]{1,24}$"
# A logger clock or history window: HJ 212 writes four-digit Beijing-time years; anything outside this is a typo.
FIRST_YEAR, LAST_YEAR = 2000, 2099


def _device_time(moment: datetime) -> datetime:
    try:
        year = moment.astimezone(BEIJING_TIME).year
    except OverflowError:  # e.g. 9999-12-31T23:00-12:00 is in the year 10000 in Beijing
        year = 0
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValueError(f"must be within the years {FIRST_YEAR}–{LAST_YEAR} (Beijing time)")
    return moment


DeviceTime = Annotated[AwareDatetime, AfterValidator(_device_time)]
Mn = Annotated[
    str, Path(description="The logger's HJ 212 MN", pattern=MN_PATTERN, examples=["330681000000000000000001"])
]


class SetTime(BaseModel):
    system_time: DeviceTime | None = Field(default=None, description="Default: the platform's clock")


class HistoryWindow(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"begin": "2026-11-26T00:00:00+08:00", "end": "2026-11-26T23:00:00+08:00"}]}
    )

    begin: DeviceTime
    end: DeviceTime

    @field_validator("end")
    @classmethod
    def _after_begin(cls, end: datetime, info: ValidationInfo) -> datetime:
        begin = info.data.get("begin")
        if begin is not None and end < begin:
            raise ValueError("end is before begin")
        return end


class CommandOutcome(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "mn": "330681000000000000000001",
                    "cn": 1011,
                    "qn": "20261127100000123",
                    "outcome": "done",
                    "qn_rtn": 1,
                    "exe_rtn": 1,
                    "uploads": [{"SystemTime": "20261127100000"}],
                    "records": 0,
                }
            ]
        }
    )

    mn: str
    cn: int = Field(description="The command's CN")
    qn: str = Field(description="Its QN; empty when nothing was sent")
    outcome: Outcome
    qn_rtn: int | None = Field(description="QnRtn of the logger's 9011, if any")
    exe_rtn: int | None = Field(description="ExeRtn of its 9012, if any")
    uploads: list[dict[str, str]] = Field(description="CP items (besides factor values) of uploads with this QN")
    records: int = Field(description="Data uploads with this QN (e.g. history records)")

    @classmethod
    def of(cls, result: CommandResult) -> CommandOutcome:
        return cls(
            mn=result.mn,
            cn=result.cn,
            qn=result.qn,
            outcome=result.outcome,
            qn_rtn=result.qn_rtn,
            exe_rtn=result.exe_rtn,
            uploads=[dict(upload) for upload in result.uploads],
            records=result.records,
        )


class GatewayHealth(BaseModel):
    listening: bool
    broker: bool
    loggers: int = Field(description="Connected loggers")


class Problem(BaseModel):
    detail: str


ADMIN_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "Bearer token missing or wrong"},
    403: {"model": Problem, "description": "Production without ENVMON_HJ212_ADMIN_TOKEN"},
}
BODY_RESPONSES: dict[int | str, dict[str, Any]] = {
    **ADMIN_RESPONSES,
    400: {"model": Problem, "description": "The body is not UTF-8 JSON"},
}


def create_app(gateway: GatewayServer) -> FastAPI:
    app = FastAPI(title="envmon HJ 212 gateway", version="1", docs_url=None, redoc_url=None)
    settings = gateway.settings

    def admin(authorization: Annotated[str | None, Header()] = None) -> None:
        token = settings.hj212_admin_token
        if token is None:
            if settings.is_production:
                raise HTTPException(403, "admin endpoints need ENVMON_HJ212_ADMIN_TOKEN in production")
            return
        if authorization is None or not hmac.compare_digest(authorization.encode(), f"Bearer {token}".encode()):
            raise HTTPException(401, "bearer token required")

    guarded = [Depends(admin)]

    @app.get("/metrics", response_class=PlainTextResponse, responses=METRICS_RESPONSES)
    def metrics() -> Response:
        return Response(generate_latest(gateway.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    @app.get("/healthz", responses={503: {"model": GatewayHealth, "description": "Not listening or no broker"}})
    def healthz(response: Response) -> GatewayHealth:
        if not gateway.healthy:
            response.status_code = 503
        return GatewayHealth(
            listening=gateway.listening, broker=gateway.forwarder.connected, loggers=len(gateway.sessions)
        )

    @app.get("/loggers", dependencies=guarded, responses=ADMIN_RESPONSES)
    def loggers() -> dict[str, str]:
        """Connected MNs and the peer address of each."""
        return {mn: session.peer for mn, session in gateway.sessions.items()}

    @app.post("/loggers/{mn}/get-time", dependencies=guarded, responses=ADMIN_RESPONSES)
    async def get_time(mn: Mn) -> CommandOutcome:
        return CommandOutcome.of(await gateway.commands.get_time(mn))

    @app.post("/loggers/{mn}/set-time", dependencies=guarded, responses=BODY_RESPONSES)
    async def set_time(mn: Mn, body: SetTime) -> CommandOutcome:
        return CommandOutcome.of(await gateway.commands.set_time(mn, body.system_time or datetime.now(BEIJING_TIME)))

    @app.post("/loggers/{mn}/start-realtime", dependencies=guarded, responses=ADMIN_RESPONSES)
    async def start_realtime(mn: Mn) -> CommandOutcome:
        return CommandOutcome.of(await gateway.commands.start_realtime(mn))

    @app.post("/loggers/{mn}/stop-realtime", dependencies=guarded, responses=ADMIN_RESPONSES)
    async def stop_realtime(mn: Mn) -> CommandOutcome:
        return CommandOutcome.of(await gateway.commands.stop_realtime(mn))

    @app.post("/loggers/{mn}/history", dependencies=guarded, responses=BODY_RESPONSES)
    async def history(mn: Mn, body: HistoryWindow) -> CommandOutcome:
        return CommandOutcome.of(await gateway.commands.history(mn, body.begin, body.end))

    @app.post("/loggers/{mn}/backfill", dependencies=guarded, responses=ADMIN_RESPONSES)
    async def backfill(mn: Mn) -> list[CommandOutcome]:
        return [CommandOutcome.of(result) for result in await gateway.commands.backfill(mn)]

    return app
