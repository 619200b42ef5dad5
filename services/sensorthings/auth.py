"""Who is asking: an API key in ``X-API-Key``, or as the password of HTTP Basic (what SensorThings clients
such as FROST's send; the user name is ignored)."""

# no "from __future__ import annotations": FastAPI resolves these Annotated aliases at run time

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPBasic, HTTPBasicCredentials
from sqlalchemy import Engine

from services.sensorthings.keys import Scope, scope_of

MAX_KEY_LENGTH = 128

api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="a partner API key")
basic = HTTPBasic(auto_error=False, description="any user name, the API key as the password")


class Unauthorised(PermissionError):
    """No key, or a key that is unknown or disabled: answered 401."""


def key_scope(
    request: Request,
    header: Annotated[str | None, Depends(api_key_header)],
    credentials: Annotated[HTTPBasicCredentials | None, Depends(basic)],
) -> Scope:
    key = header or (credentials.password if credentials else None)
    if not key:
        raise Unauthorised("an API key is required (X-API-Key, or HTTP Basic with the key as password)")
    if len(key) > MAX_KEY_LENGTH:
        raise Unauthorised("unknown or disabled API key")
    engine: Engine = request.app.state.engine
    with engine.connect() as connection:
        scope = scope_of(connection, key)
    if scope is None:
        raise Unauthorised("unknown or disabled API key")
    return scope


KeyScope = Annotated[Scope, Depends(key_scope)]
