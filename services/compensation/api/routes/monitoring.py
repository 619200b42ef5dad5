"""Joint and manual monitoring results: a bureau uploads them (JSON or a CSV/XLSX file) and withdraws a wrong
upload with its reason; anyone in scope lists them and the upload history."""

from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, File, Path, Query, Response, UploadFile
from pydantic import BaseModel, ConfigDict
from sqlalchemy import Connection

from services.compensation import repository, upload_log, uploads
from services.compensation.access import Principal
from services.compensation.agreements import FIRST_YEAR, LAST_YEAR, Agreement
from services.compensation.api.deps import Db, Who
from services.compensation.api.models import BIGINT_MAX, REFUSALS, BeijingTime, LongText
from services.compensation.uploads import MAX_FILE_BYTES, UPLOAD_ROLES, Day, ResultsBody, UploadRefused

router = APIRouter(tags=["monitoring"], responses=REFUSALS)
UploadId = Annotated[int, Path(ge=1, le=BIGINT_MAX)]


class UploadOut(BaseModel):
    upload_id: int | None
    stored: int
    unchanged: int

    model_config = ConfigDict(json_schema_extra={"examples": [{"upload_id": 12, "stored": 24, "unchanged": 0}]})


class ResultOut(BaseModel):
    section: str
    indicator: str
    date: Day
    sampled_at: BeijingTime
    tier: str
    value: Decimal
    sampling_parties: list[str]
    laboratory: str | None
    report_no: str | None
    upload_id: int
    uploaded_by: str
    uploaded_at: BeijingTime
    withdrawn: bool


class UploadEntryOut(BaseModel):
    """One upload in the history; a withdrawn one keeps its results, which no longer count."""

    id: int
    uploaded_by: str
    uploaded_at: BeijingTime
    filename: str | None
    results: int
    sections: list[str]
    tiers: list[str]
    first_day: Day
    last_day: Day
    withdrawn_at: BeijingTime | None
    withdrawn_by: str | None
    withdrawal_reason: str | None
    withdrawable: bool

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 12,
                    "uploaded_by": "keqiao.bureau",
                    "uploaded_at": "2025-04-02T10:15:00+08:00",
                    "filename": "2025一季度.xlsx",
                    "results": 9,
                    "sections": ["XXJ-YANGXUN"],
                    "tiers": ["joint-manual"],
                    "first_day": "2025-01-10",
                    "last_day": "2025-03-10",
                    "withdrawn_at": "2025-04-03T09:00:00+08:00",
                    "withdrawn_by": "keqiao.bureau",
                    "withdrawal_reason": "报告编号 2025-JC-031 的氨氮结果录错",
                    "withdrawable": False,
                }
            ]
        }
    )


class WithdrawalBody(BaseModel):
    reason: LongText

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"reason": "报告编号 2025-JC-031 的氨氮结果录错"}]}
    )


class WithdrawalOut(BaseModel):
    upload_id: int
    results: int
    withdrawn_by: str
    withdrawn_at: BeijingTime
    reason: str

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "upload_id": 12,
                    "results": 9,
                    "withdrawn_by": "keqiao.bureau",
                    "withdrawn_at": "2025-04-03T09:00:00+08:00",
                    "reason": "报告编号 2025-JC-031 的氨氮结果录错",
                }
            ]
        }
    )


def _agreements(connection: Connection, who: Principal) -> list[Agreement]:
    return [s.agreement for s in repository.latest_agreements(connection) if who.sees(s.agreement)]


def visible_sections(connection: Connection, who: Principal) -> set[str]:
    return {s.code for agreement in _agreements(connection, who) for s in agreement.sections}


@router.post("/monitoring/results", status_code=201)
def upload_results(connection: Db, who: Who, body: ResultsBody) -> UploadOut:
    """Store joint or manual results; all or nothing, a conflicting result refuses the upload with its reason."""
    who.require(UPLOAD_ROLES, "upload monitoring results")
    stored = uploads.store(
        connection,
        who,
        body.results,
        _agreements(connection, who),
        filename=None,
        content=body.model_dump_json().encode(),
    )
    return UploadOut(**vars(stored))


@router.post("/monitoring/uploads", status_code=201)
def upload_file(
    connection: Db, who: Who, file: Annotated[UploadFile, File(description="CSV (UTF-8) or XLSX")]
) -> UploadOut:
    """The same from a file with the template's columns (GET /monitoring/template.csv)."""
    who.require(UPLOAD_ROLES, "upload monitoring results")
    content = file.file.read(MAX_FILE_BYTES + 1)
    name = (file.filename or "upload")[:200]
    if not name.lower().endswith((".csv", ".xlsx")):
        raise UploadRefused([f"file: {name!r} is neither .csv nor .xlsx"])
    results = uploads.parse_file(content, name)
    stored = uploads.store(connection, who, results, _agreements(connection, who), filename=name, content=content)
    return UploadOut(**vars(stored))


@router.get("/monitoring/results")
def list_results(
    connection: Db,
    who: Who,
    year: Annotated[int | None, Query(ge=FIRST_YEAR, le=LAST_YEAR)] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
    include_withdrawn: bool = False,
) -> list[ResultOut]:
    return [
        ResultOut(
            section=row["station"],
            indicator=row["parameter"],
            date=row["sampled_on"],
            sampled_at=row["time"],
            tier=row["tier"],
            value=row["value"],
            sampling_parties=row["sampling_parties"],
            laboratory=row["laboratory"],
            report_no=row["report_no"],
            upload_id=row["upload_id"],
            uploaded_by=row["uploaded_by"],
            uploaded_at=row["uploaded_at"],
            withdrawn=row["withdrawn"],
        )
        for row in uploads.stored_results(
            connection, visible_sections(connection, who), year, limit, include_withdrawn=include_withdrawn
        )
    ]


@router.get("/monitoring/uploads")
def list_uploads(connection: Db, who: Who, limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[UploadEntryOut]:
    """The upload history, newest first, withdrawn uploads included (with who withdrew them, when and why)."""
    entries = upload_log.history(connection, who, visible_sections(connection, who), limit)
    return [UploadEntryOut(**vars(entry)) for entry in entries]


@router.post("/monitoring/uploads/{upload_id}/withdrawal")
def withdraw_upload(connection: Db, who: Who, upload_id: UploadId, body: WithdrawalBody) -> WithdrawalOut:
    """Withdraw a wrong upload, all of it, with the reason: its results stop counting (a statement computed
    from them no longer verifies; recalculate it) and stay in the history as withdrawn. Only a bureau of a
    party that took part in the sampling of every result withdraws (403 otherwise)."""
    withdrawal = upload_log.withdraw(connection, who, upload_id, visible_sections(connection, who), body.reason)
    return WithdrawalOut(**vars(withdrawal))


@router.get(
    "/monitoring/template.csv",
    response_class=Response,
    responses={200: {"description": "the upload template", "content": {"text/csv": {"schema": {"type": "string"}}}}},
)
def template() -> Response:
    """The upload template (CSV, UTF-8 with BOM so Excel opens it), with one example row."""
    return Response(
        uploads.template_csv(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="monitoring-results-template.csv"'},
    )
