"""Statements: compute, list, read (at reporting precision, or exact on request), sign off, recalculate,
verify, export."""

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response

from services.compensation import repository, statements
from services.compensation.access import COMPUTE_ROLES
from services.compensation.agreements import FIRST_YEAR, LAST_YEAR
from services.compensation.api.deps import Db, MetricsDep, SettingsDep, Who
from services.compensation.api.models import (
    AGREEMENT_ID,
    BIGINT_MAX,
    REFUSALS,
    ComputeBody,
    Event,
    RecalculateBody,
    Refusal,
    StatementOut,
    StatementSummary,
    Status,
    TransitionBody,
    VerifyOut,
)
from services.compensation.api.scope import visible_agreement, visible_agreement_ids, visible_statement
from services.compensation.exports import FORMATS, render
from services.compensation.repository import ListedStatement
from services.compensation.views import StatementView
from services.standards.reporting import PrecisionTable

router = APIRouter(tags=["statements"], responses=REFUSALS)
StatementId = Annotated[int, Path(ge=1, le=BIGINT_MAX)]
Exact = Annotated[
    bool, Query(description="true: the stored exact figures (28 significant digits); default: reporting precision")
]
ExportFormat = Literal["json", "csv", "xlsx", "pdf"]
EXPORT_JSON_SCHEMA = {
    "type": "object",
    "required": ["statement", "document"],
    "properties": {
        "statement": {"type": "object", "description": "id, status, revision, events (Beijing time)"},
        "document": {"type": "object", "description": "the statement document (see GET /statements/{id})"},
    },
}


def summary_of(listed: ListedStatement) -> StatementSummary:
    result = listed.result
    return StatementSummary(
        id=listed.id,
        agreement_id=listed.agreement_id,
        period=listed.period,
        fiscal_year=listed.fiscal_year,
        revision=listed.revision,
        agreement_version=listed.agreement_version,
        status=listed.status,
        superseded_by_revision=listed.latest_revision if listed.superseded else None,
        direction=result.direction if result else None,
        payer=result.payer if result else None,
        receiver=result.receiver if result else None,
        amount_yuan=result.amount_yuan if result else None,
        input_sha256=listed.input_sha256,
        rule_sha256=listed.rule_sha256,
        created_by=listed.created_by,
        created_at=listed.created_at,
    )


def statement_out(view: StatementView, table: PrecisionTable, exact: bool) -> StatementOut:
    row, document = view.row, view.document if exact else view.published(table)
    result = document.result
    return StatementOut(
        id=row["id"],
        agreement_id=row["agreement_id"],
        period=row["period"],
        fiscal_year=document.period.fiscal_year,
        revision=row["revision"],
        agreement_version=row["agreement_version"],
        status=row["status"],
        superseded_by_revision=view.superseded_by,
        direction=result.direction if result else None,
        payer=result.payer if result else None,
        receiver=result.receiver if result else None,
        amount_yuan=result.amount_yuan if result else None,
        input_sha256=row["input_sha256"],
        rule_sha256=row["rule_sha256"],
        created_by=row["created_by"],
        created_at=row["created_at"],
        reason=row["reason"],
        approver=row["approver"],
        events=[Event(status=e["status"], actor=e["actor"], at=e["at"], note=e["note"]) for e in view.events],
        exact=exact,
        document=document,
    )


@router.post("/agreements/{agreement_id}/statements", status_code=201)
def compute(
    connection: Db,
    who: Who,
    settings: SettingsDep,
    metrics: MetricsDep,
    agreement_id: Annotated[str, Path(pattern=AGREEMENT_ID)],
    body: ComputeBody,
) -> StatementOut:
    """Revision 1 of a period's statement, under the agreement version in force for that period."""
    who.require(COMPUTE_ROLES, "compute statements")
    visible_agreement(connection, who, agreement_id)
    request = statements.Request(body.period, dict(body.declared_volumes_m3))
    statement_id = statements.create(connection, who, agreement_id, request)
    view = visible_statement(connection, who, statement_id)
    metrics.statements.labels(view.row["status"]).inc()
    return statement_out(view, settings.precision_table, exact=False)


@router.get("/statements")
def list_statements(
    connection: Db,
    who: Who,
    agreement: Annotated[str | None, Query(pattern=AGREEMENT_ID)] = None,
    year: Annotated[int | None, Query(ge=FIRST_YEAR, le=LAST_YEAR, description="fiscal year of settlement")] = None,
    status: Status | None = None,
    include_superseded: bool = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 500,
) -> list[StatementSummary]:
    """Latest revisions by default; amounts and parties come from the stored documents."""
    ids = [i for i in visible_agreement_ids(connection, who) if agreement in (None, i)]
    listed = repository.list_statements(
        connection, ids, fiscal_year=year, status=status, include_superseded=include_superseded, limit=limit
    )
    return [summary_of(s) for s in listed]


@router.get("/statements/{statement_id}")
def get_statement(
    connection: Db, who: Who, settings: SettingsDep, statement_id: StatementId, exact: Exact = False
) -> StatementOut:
    return statement_out(visible_statement(connection, who, statement_id), settings.precision_table, exact)


@router.post("/statements/{statement_id}/transitions")
def transition(
    connection: Db, who: Who, settings: SettingsDep, statement_id: StatementId, body: TransitionBody
) -> StatementOut:
    visible_statement(connection, who, statement_id)
    statements.transition(connection, who, statement_id, body.status, body.note)
    return statement_out(visible_statement(connection, who, statement_id), settings.precision_table, exact=False)


@router.post("/statements/{statement_id}/recalculate", status_code=201)
def recalculate(
    connection: Db,
    who: Who,
    settings: SettingsDep,
    metrics: MetricsDep,
    statement_id: StatementId,
    body: RecalculateBody,
) -> StatementOut:
    """Revision n+1 from today's data, under the version in force for the period (not simply the newest)."""
    visible_statement(connection, who, statement_id)
    new_id = statements.recalculate(
        connection, who, statement_id, dict(body.declared_volumes_m3), body.reason, body.approver
    )
    view = visible_statement(connection, who, new_id)
    metrics.statements.labels(view.row["status"]).inc()
    return statement_out(view, settings.precision_table, exact=False)


@router.get(
    "/statements/{statement_id}/verify",
    responses={409: {"model": Refusal, "description": "the stored document is in no schema this version reads"}},
)
def verify(connection: Db, who: Who, metrics: MetricsDep, statement_id: StatementId) -> VerifyOut:
    """Recompute with the stored rule version and today's readings, rendered in the schema the statement was
    stored under; compare bytes and every column shown. Notes say what the current schema would add."""
    visible_statement(connection, who, statement_id)
    result = statements.verify(connection, statement_id)
    metrics.verified(result.match)
    out = VerifyOut(**vars(result))
    repository.record_audit(
        connection, who.name, "statement.verify", f"statement:{statement_id}", out.model_dump(mode="json")
    )
    return out


@router.get(
    "/statements/{statement_id}/export.{fmt}",
    response_class=Response,
    responses={
        200: {
            "description": "the export file",
            "content": {
                FORMATS["json"]: {"schema": EXPORT_JSON_SCHEMA},
                FORMATS["csv"]: {"schema": {"type": "string"}},
                FORMATS["xlsx"]: {"schema": {"type": "string", "format": "binary"}},
                FORMATS["pdf"]: {"schema": {"type": "string", "format": "binary"}},
            },
        }
    },
)
def export(
    connection: Db, who: Who, settings: SettingsDep, statement_id: StatementId, fmt: ExportFormat, exact: Exact = False
) -> Response:
    """JSON and CSV carry every figure (exact on request); XLSX and PDF are the 结算单 at reporting precision."""
    view = visible_statement(connection, who, statement_id)
    table = settings.precision_table
    document = view.document if exact and fmt in ("json", "csv") else view.published(table)
    body = render(view, fmt, document, view.sheet(table), settings.compensation_pdf_font)
    return Response(
        body,
        media_type=FORMATS[fmt],
        headers={"Content-Disposition": f'attachment; filename="{view.filename}.{fmt}"'},
    )
