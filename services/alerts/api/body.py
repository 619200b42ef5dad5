"""Request bodies that are not UTF-8 JSON (RFC 8259 §8.1) answer 400, as the POST endpoints declare.

FastAPI alone answers such a body 400 or 422 depending on where it breaks (a UTF-16 byte-order mark even
decodes); the route class checks the encoding before FastAPI parses, and ``json_invalid`` becomes a 400
naming the position."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

BAD_BODY = "The body is not UTF-8 JSON"


def not_utf8_json(message: str) -> JSONResponse:
    """The declared 400 (a ``Problem``)."""
    return JSONResponse(status_code=400, content={"detail": f"the body is not UTF-8 JSON: {message}"})


def json_invalid(errors: list[dict[str, Any]]) -> JSONResponse | None:
    """The 400 for a body FastAPI could not decode as JSON, or None when it decoded."""
    for error in errors:
        if error.get("type") == "json_invalid":
            reason = error.get("ctx", {}).get("error", "invalid JSON")
            return not_utf8_json(f"{reason} at character {error['loc'][-1]}")
    return None


class Utf8JsonRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def checked(request: Request) -> Response:
            body = await request.body()  # cached: the handler reads it again
            try:
                body.decode("utf-8")
            except UnicodeDecodeError as error:
                return not_utf8_json(f"byte {error.start} (0x{body[error.start]:02x}) is not valid UTF-8")
            return await handler(request)

        return checked
