"""Request latency (and so counts) per route template for a FastAPI app, in the app's own registry."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response
from prometheus_client import Histogram

UNMATCHED_ROUTE = "unmatched"  # 404s for arbitrary paths must not create a series each


def instrument(app: FastAPI, request_seconds: Histogram) -> None:
    """Time every request under its route template (``/statements/{statement_id}``), not its raw path;
    ``request_seconds`` is labelled route, method and status."""

    def route_of(request: Request) -> str:
        # routing leaves the matched route in the scope (shared with the app below this middleware)
        route = request.scope.get("route")
        return str(getattr(route, "path", UNMATCHED_ROUTE))

    @app.middleware("http")
    async def timed(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        began = time.perf_counter()
        status = 500  # an exception escaping the app is answered 500 by the server
        try:
            response = await call_next(request)
            status = response.status_code
            return response
        finally:
            request_seconds.labels(route_of(request), request.method, str(status)).observe(time.perf_counter() - began)
