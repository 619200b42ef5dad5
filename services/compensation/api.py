"""The compensation HTTP API (JSON) and the wiring of the finance pages."""

# no "from __future__ import annotations": FastAPI must resolve the local dependency aliases (Db, Who)

from collections.abc import Iterator
from decimal import Decimal
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Form, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import Connection, Engine

from services.compensation import auth, repository, statements
from services.compensation.access import (
    COMPUTE_ROLES,
    MIN_PASSWORD_LENGTH,
    PRINCIPAL_NAME,
    Forbidden,
    Principal,
    Role,
    StateConflict,
)
from services.compensation.agreements import parse_agreement
from services.compensation.exports import FORMATS, StatementView, metadata, render
from services.compensation.metrics import CompensationMetrics
from services.compensation.periods import PeriodError
from services.compensation.repository import NotFound, StoredAgreement
from services.compensation.settings import CompensationSettings
from services.compensation.web import SESSION_COOKIE, add_pages

ADMIN_ONLY = frozenset({Role.ADMIN})


class ComputeBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    period: str
    declared_volumes_m3: dict[str, Decimal] = {}


class RecalculateBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1)
    approver: str = Field(min_length=1)
    declared_volumes_m3: dict[str, Decimal] = {}


class TransitionBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: str
    note: str | None = None


class PrincipalBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=PRINCIPAL_NAME)
    role: Role
    parties: list[str] = []
    # a user; without it an API key is issued
    password: str | None = Field(default=None, min_length=MIN_PASSWORD_LENGTH)


def create_app(engine: Engine, settings: CompensationSettings) -> FastAPI:
    app = FastAPI(title="envmon compensation", version="1")
    metrics = CompensationMetrics()
    metrics.instrument(app)

    def connection() -> Iterator[Connection]:
        with engine.begin() as conn:
            yield conn

    Db = Annotated[Connection, Depends(connection)]

    def principal(request: Request, conn: Db) -> Principal:
        header = request.headers.get("authorization", "")
        key = request.headers.get("x-api-key")
        found = None
        if key:
            found = auth.by_api_key(conn, key)
        elif header.lower().startswith("bearer "):
            found = auth.by_token(conn, header[7:].strip())
        elif cookie := request.cookies.get(SESSION_COOKIE):
            found = auth.by_token(conn, cookie)
        if found is None:
            raise HTTPException(
                401,
                "missing or invalid credentials: send a bearer token or an X-API-Key",
                headers={"WWW-Authenticate": "Bearer"},
            )
        return found

    Who = Annotated[Principal, Depends(principal)]

    def computed(view: StatementView) -> dict[str, Any]:
        metrics.statements.labels(view.row["status"]).inc()
        return _statement(view)

    def visible(conn: Connection, who: Principal, agreement_id: str, version: int | None = None) -> StoredAgreement:
        stored = repository.agreement_version(conn, agreement_id, version)
        if not who.sees(stored.agreement):
            raise NotFound(f"unknown agreement {agreement_id!r}")  # never reveal agreements out of scope
        return stored

    def visible_statement(conn: Connection, who: Principal, statement_id: int) -> StatementView:
        row = repository.statement(conn, statement_id)
        visible(conn, who, row["agreement_id"])
        return StatementView(row, repository.events(conn, statement_id))

    def audit_error(request: Request, status: int, message: str) -> JSONResponse:
        # bad input is recorded, then answered; a new connection so a failed transaction does not lose it
        with engine.begin() as conn:
            repository.record_audit(
                conn,
                "anonymous",
                "request.rejected",
                request.url.path,
                {"status": status, "detail": message, "method": request.method},
            )
        return JSONResponse({"detail": message}, status_code=status)

    @app.exception_handler(NotFound)
    async def _not_found(request: Request, error: NotFound) -> JSONResponse:
        return audit_error(request, 404, str(error))

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, error: Forbidden) -> JSONResponse:
        return audit_error(request, 403, str(error))

    @app.exception_handler(StateConflict)
    async def _conflict(request: Request, error: StateConflict) -> JSONResponse:
        return audit_error(request, 409, str(error))

    @app.exception_handler(PeriodError)
    async def _period(request: Request, error: PeriodError) -> JSONResponse:
        return audit_error(request, 422, str(error))

    @app.exception_handler(ValidationError)
    async def _invalid(request: Request, error: ValidationError) -> JSONResponse:
        message = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        return audit_error(request, 422, f"invalid agreement: {message}")

    @app.exception_handler(ValueError)
    async def _value(request: Request, error: ValueError) -> JSONResponse:
        return audit_error(request, 422, str(error))

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/metrics")
    def scrape() -> Response:
        return metrics.exposition()

    @app.post("/token")
    def token(conn: Db, username: Annotated[str, Form()], password: Annotated[str, Form()]) -> dict[str, Any]:
        issued = auth.issue_token(conn, username, password, settings.compensation_token_minutes)
        if issued is None:
            raise HTTPException(401, "wrong user name or password")
        return {"access_token": issued, "token_type": "bearer", "expires_in": settings.compensation_token_minutes * 60}

    @app.get("/agreements")
    def list_agreements(conn: Db, who: Who) -> list[dict[str, Any]]:
        return [_summary(s) for s in repository.latest_agreements(conn) if who.sees(s.agreement)]

    @app.get("/agreements/{agreement_id}")
    def get_agreement(conn: Db, who: Who, agreement_id: str, version: int | None = None) -> dict[str, Any]:
        stored = visible(conn, who, agreement_id, version)
        return {
            **_summary(stored),
            "content": stored.agreement.model_dump(mode="json"),
            "history": repository.agreement_history(conn, agreement_id),
        }

    @app.put("/agreements/{agreement_id}")
    def put_agreement(conn: Db, who: Who, agreement_id: str, body: dict[str, Any]) -> dict[str, Any]:
        who.require(ADMIN_ONLY, "edit agreements")
        agreement = parse_agreement(body)
        if agreement.id != agreement_id:
            raise ValueError(f"body is agreement {agreement.id!r}, not {agreement_id!r}")
        version, created = repository.add_agreement_version(conn, agreement, origin="api", actor=who.name)
        repository.record_audit(
            conn, who.name, "agreement.version", f"agreement:{agreement_id}", {"version": version, "created": created}
        )
        return {"id": agreement_id, "version": version, "created": created}

    @app.post("/agreements/{agreement_id}/statements", status_code=201)
    def compute(conn: Db, who: Who, agreement_id: str, body: ComputeBody) -> dict[str, Any]:
        who.require(COMPUTE_ROLES, "compute statements")
        stored = visible(conn, who, agreement_id)
        request = statements.Request(body.period, body.declared_volumes_m3)
        statement_id = statements.create(conn, who, stored, request)
        return computed(visible_statement(conn, who, statement_id))

    @app.get("/statements")
    def list_statements(conn: Db, who: Who, agreement: str | None = None) -> list[dict[str, Any]]:
        ids = [s.agreement.id for s in repository.latest_agreements(conn) if who.sees(s.agreement)]
        return repository.list_statements(conn, [i for i in ids if agreement in (None, i)])

    @app.get("/statements/{statement_id}")
    def get_statement(conn: Db, who: Who, statement_id: int) -> dict[str, Any]:
        return _statement(visible_statement(conn, who, statement_id))

    @app.post("/statements/{statement_id}/transitions")
    def transition(conn: Db, who: Who, statement_id: int, body: TransitionBody) -> dict[str, Any]:
        visible_statement(conn, who, statement_id)
        statements.transition(conn, who, statement_id, body.status, body.note)
        return _statement(visible_statement(conn, who, statement_id))

    @app.post("/statements/{statement_id}/recalculate", status_code=201)
    def recalculate(conn: Db, who: Who, statement_id: int, body: RecalculateBody) -> dict[str, Any]:
        view = visible_statement(conn, who, statement_id)
        stored = visible(conn, who, view.row["agreement_id"])
        new_id = statements.recalculate(
            conn,
            who,
            stored,
            statement_id,
            statements.Request(view.row["period"], body.declared_volumes_m3),
            body.reason,
            body.approver,
        )
        return computed(visible_statement(conn, who, new_id))

    @app.get("/statements/{statement_id}/verify")
    def verify(conn: Db, who: Who, statement_id: int) -> dict[str, Any]:
        visible_statement(conn, who, statement_id)
        result = statements.verify(conn, statement_id)
        metrics.verified(result["match"])
        repository.record_audit(conn, who.name, "statement.verify", f"statement:{statement_id}", result)
        return result

    @app.get("/statements/{statement_id}/export.{fmt}")
    def export(conn: Db, who: Who, statement_id: int, fmt: str) -> Response:
        if fmt not in FORMATS:
            raise HTTPException(404, f"unknown export format {fmt!r}; one of {', '.join(FORMATS)}")
        view = visible_statement(conn, who, statement_id)
        body = render(view, fmt, settings.compensation_pdf_font)
        return Response(
            body,
            media_type=FORMATS[fmt],
            headers={"Content-Disposition": f'attachment; filename="{view.filename}.{fmt}"'},
        )

    @app.get("/audit")
    def audit_log(conn: Db, who: Who, limit: int = 200) -> list[dict[str, Any]]:
        who.require(ADMIN_ONLY, "read the audit log")
        return repository.audit_entries(conn, min(limit, 1000))

    @app.post("/principals", status_code=201)
    def add_principal(conn: Db, who: Who, body: PrincipalBody) -> dict[str, Any]:
        who.require(ADMIN_ONLY, "manage principals")
        result: dict[str, Any] = {"name": body.name, "role": body.role.value, "parties": sorted(body.parties)}
        if body.password:
            auth.create_user(conn, body.name, body.password, body.role, body.parties)
        else:
            result["api_key"] = auth.create_api_key(conn, body.name, body.role, body.parties)
        repository.record_audit(
            conn,
            who.name,
            "principal.create",
            f"principal:{body.name}",
            {"role": body.role.value, "parties": sorted(body.parties)},
        )
        return result

    add_pages(app, engine, settings, principal)
    return app


def _summary(stored: StoredAgreement) -> dict[str, Any]:
    a = stored.agreement
    return {
        "id": a.id,
        "name": a.name,
        "river": a.river,
        "version": stored.version,
        "sha256": stored.sha256,
        "illustrative": a.illustrative,
        "upstream": a.parties.upstream.model_dump(),
        "downstream": a.parties.downstream.model_dump(),
        "term": a.term.model_dump(mode="json"),
    }


def _statement(view: StatementView) -> dict[str, Any]:
    return {**metadata(view), "document": view.document}
