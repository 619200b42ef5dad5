"""The contract harness itself: it catches a 5xx, a response off its schema and a 2xx for a bad request."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import FastAPI, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from tests.support.contract import asgi_contract, assert_contract, run_contract, untyped_successes


class Reading(BaseModel):
    value: int


def broken_app() -> FastAPI:
    app = FastAPI()

    @app.get("/crash")
    def crash(station: str) -> Reading:
        raise RuntimeError(f"unhandled {station}")

    @app.get("/off-schema")
    def off_schema() -> Reading:
        return JSONResponse({"value": "seven"})  # type: ignore[return-value]

    @app.get(
        "/lenient",
        openapi_extra={
            "parameters": [
                {"name": "code", "in": "query", "required": True, "schema": {"type": "string", "maxLength": 3}}
            ]
        },
    )
    def lenient(request: Request) -> Reading:
        return Reading(value=len(request.query_params.get("code", "")))

    @app.get("/lookup")
    def lookup(code: Annotated[str, Query(examples=["AIR-KEQIAO"])]) -> Reading:
        if "\x00" in code:
            raise RuntimeError("PostgreSQL text fields cannot contain NUL (0x00) bytes")
        return Reading(value=len(code))

    return app


def sound_app() -> FastAPI:
    app = FastAPI()

    @app.get("/readings/{station}")
    def reading(station: str, limit: Annotated[int, Query(ge=1, le=10)] = 1) -> Reading:
        return Reading(value=limit)

    return app


def test_each_kind_of_violation_is_reported_with_its_check() -> None:
    run = run_contract(asgi_contract(broken_app(), max_examples=5))
    found = {(failure.operation, failure.check) for failure in run.failures}
    assert any(error.startswith("GET /crash") and "unhandled" in error for error in run.errors)
    assert ("GET /off-schema", "response_schema_conformance") in found
    assert ("GET /lenient", "negative_data_rejection") in found
    assert any(error.startswith("GET /lookup: query code") and "NUL" in error for error in run.errors)
    assert all(failure.curl.startswith("curl ") for failure in run.failures)


def test_a_sound_app_passes_and_every_operation_ran() -> None:
    run = assert_contract(asgi_contract(sound_app(), max_examples=5), expected_operations=1)
    assert run.cases > 5


def test_untyped_successes_are_listed() -> None:
    app = sound_app()

    @app.get("/untyped")
    def untyped() -> object:
        return {}

    @app.get("/anything")
    def anything() -> dict[str, Any]:
        return {}

    assert untyped_successes(app.openapi()) == ["GET /untyped 200", "GET /anything 200"]
