"""Joint and manual monitoring results: a bureau uploads them (JSON or a CSV/XLSX file); anyone in scope lists them."""

from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, File, Query, Response, UploadFile
from pydantic import BaseModel, ConfigDict
from sqlalchemy import Connection

from services.compensation import repository, uploads
from services.compensation.access import Principal, Role
from services.compensation.agreements import FIRST_YEAR, LAST_YEAR, Agreement
from services.compensation.api.deps import Db, Who
from services.compensation.api.models import REFUSALS, BeijingTime
from services.compensation.uploads import MAX_FILE_BYTES, Day, ResultsBody, UploadRefused

router = APIRouter(tags=["monitoring"], responses=REFUSALS)
UPLOAD_ROLES = frozenset({Role.BUREAU})


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


def _agreements(connection: Connection, who: Principal) -> list[Agreement]:
    return [s.agreement for s in repository.latest_agreements(connection) if who.sees(s.agreement)]


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
) -> list[ResultOut]:
    sections = {s.code for agreement in _agreements(connection, who) for s in agreement.sections}
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
        )
        for row in uploads.stored_results(connection, sections, year, limit)
    ]


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
