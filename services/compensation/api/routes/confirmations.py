"""数据互认: each party confirms a boundary section's month of data; anyone of those parties reads where it stands."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import Connection

from services.compensation import confirmations
from services.compensation.access import Forbidden, Principal
from services.compensation.api.deps import Db, Who
from services.compensation.api.models import NO_CONTROL, REFUSALS, BeijingTime
from services.compensation.periods import Month
from services.compensation.repository import NotFound
from services.compensation.uploads import STATION_CODE
from services.storage.parties import PARTY_CODE

router = APIRouter(tags=["confirmations"], responses=REFUSALS)
MONTH_PATTERN = r"^(20[0-9]{2}|2[1-2][0-9]{2})-(0[1-9]|1[0-2])$"  # the agreements' years 2000–2299, ASCII digits

SectionPath = Annotated[str, Path(pattern=STATION_CODE, examples=["XXJ-YANGXUN"])]
MonthPath = Annotated[str, Path(pattern=MONTH_PATTERN, description="A month, YYYY-MM", examples=["2026-10"])]


class ConfirmBody(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"party": "xiaoshan"}]})

    party: Annotated[str, StringConstraints(pattern=PARTY_CODE)] = Field(description="The party confirming")
    comment: Annotated[str, StringConstraints(max_length=500, pattern=NO_CONTROL)] | None = None


class MonthStateOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "section": "XXJ-YANGXUN",
                    "month": "2026-10",
                    "required": ["keqiao", "xiaoshan"],
                    "revision": 2,
                    "revision_sha256": "3b0c…",
                    "current_sha256": "3b0c…",
                    "confirmed_by": ["keqiao", "xiaoshan"],
                    "missing": [],
                    "confirmed": True,
                    "reopened": False,
                    "confirmed_at": "2026-11-03T10:12:00+08:00",
                }
            ]
        }
    )

    section: str
    month: str
    required: list[str] = Field(description="Parties of the agreements on the section; each must confirm")
    revision: int | None = Field(description="The latest revision; null before the first confirmation")
    revision_sha256: str | None = Field(description="SHA-256 of the month's rows when that revision was opened")
    current_sha256: str = Field(description="SHA-256 of the month's rows now")
    confirmed_by: list[str]
    missing: list[str]
    confirmed: bool = Field(description="Every party confirmed the latest revision and the data is unchanged")
    reopened: bool = Field(description="Data changed after the latest revision: every party confirms again")
    confirmed_at: BeijingTime | None


def _out(state: confirmations.MonthState) -> MonthStateOut:
    return MonthStateOut(
        section=state.section,
        month=state.month,
        required=list(state.required),
        revision=state.revision,
        revision_sha256=state.revision_sha256,
        current_sha256=state.current_sha256,
        confirmed_by=list(state.confirmed_by),
        missing=list(state.missing),
        confirmed=state.confirmed,
        reopened=state.changed,
        confirmed_at=state.confirmed_at,
    )


def _visible(connection: Connection, who: Principal, section: str) -> None:
    required = confirmations.required_parties(connection, section)
    if not required:
        raise NotFound(f"no agreement lists section {section}")
    if who.parties and not who.parties & set(required):
        raise Forbidden(f"{who.name} is not a party to an agreement on section {section}")


@router.get("/sections/{section}/months/{month}/confirmation")
def month_confirmation(connection: Db, who: Who, section: SectionPath, month: MonthPath) -> MonthStateOut:
    """Where the month stands: the revision, who confirmed it, who is missing, and whether data changed since."""
    _visible(connection, who, section)
    return _out(confirmations.month_state(connection, section, Month.from_label(month)))


@router.post("/sections/{section}/months/{month}/confirmations", status_code=201)
def confirm_month(connection: Db, who: Who, section: SectionPath, month: MonthPath, body: ConfirmBody) -> MonthStateOut:
    """``party`` confirms the month as it stands (a bureau acting for that party); audited. Data that changed
    after an earlier confirmation opens a new revision that every party confirms again."""
    _visible(connection, who, section)
    return _out(confirmations.confirm(connection, who, section, Month.from_label(month), body.party, body.comment))
