"""Dependencies of every route (the FastAPI template's deps.py): settings, engine, connection, principal.

The app keeps its engine, settings and metrics in ``app.state``; handlers ask for them here.
A successful authentication is also left in ``request.state.principal`` so that a request rejected
later (a 4xx from validation or from the handler) is audited under the real principal.
"""

# no "from __future__ import annotations": FastAPI resolves these Annotated aliases at run time

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from sqlalchemy import Connection, Engine

from services.compensation import auth
from services.compensation.access import Principal
from services.compensation.metrics import CompensationMetrics
from services.compensation.settings import CompensationSettings

SESSION_COOKIE = "envmon_compensation"
ANONYMOUS = "anonymous"


def get_settings(request: Request) -> CompensationSettings:
    settings: CompensationSettings = request.app.state.settings
    return settings


def get_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def get_metrics(request: Request) -> CompensationMetrics:
    metrics: CompensationMetrics = request.app.state.metrics
    return metrics


SettingsDep = Annotated[CompensationSettings, Depends(get_settings)]
EngineDep = Annotated[Engine, Depends(get_engine)]
MetricsDep = Annotated[CompensationMetrics, Depends(get_metrics)]


def get_connection(engine: EngineDep) -> Iterator[Connection]:
    """One transaction per request: committed when the handler returns, rolled back when it raises."""
    with engine.begin() as connection:
        yield connection


Db = Annotated[Connection, Depends(get_connection)]


def authenticate(request: Request, connection: Connection) -> Principal | None:
    """The principal behind an X-API-Key, a bearer token or the pages' session cookie, if any."""
    key = request.headers.get("x-api-key")
    header = request.headers.get("authorization", "")
    found = None
    if key:
        found = auth.by_api_key(connection, key)
    elif header.lower().startswith("bearer "):
        found = auth.by_token(connection, header[7:].strip())
    elif cookie := request.cookies.get(SESSION_COOKIE):
        found = auth.by_token(connection, cookie)
    if found is not None:
        request.state.principal = found
    return found


def get_principal(request: Request, connection: Db) -> Principal:
    found = authenticate(request, connection)
    if found is None:
        raise HTTPException(
            401,
            "missing or invalid credentials: send a bearer token or an X-API-Key",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return found


Who = Annotated[Principal, Depends(get_principal)]


def actor_of(request: Request) -> str:
    principal: Principal | None = getattr(request.state, "principal", None)
    return principal.name if principal else ANONYMOUS
