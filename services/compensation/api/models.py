"""Request and response bodies of the JSON API, with the constrained input types they use.

Inputs are refused at the edge (422 naming the field) before anything reaches the database: text has
a length limit and no control characters, integers stay within their column types, period labels
use ASCII digits, lists and maps are bounded. Times are answered in Beijing time (UTC+08:00).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, StringConstraints

from services.compensation.access import MIN_PASSWORD_LENGTH, PRINCIPAL_NAME, Role
from services.compensation.agreements import Party, Term
from services.compensation.document import Direction, StatementDocument
from services.compensation.periods import LABEL_PATTERN
from services.standards.local_time import local
from services.storage.parties import PartyCode

BIGINT_MAX = 2**63 - 1
INT_MAX = 2**31 - 1
AGREEMENT_ID = r"^[A-Z][A-Z0-9-]{2,63}$"
NO_CONTROL = r"^[^\x00-\x1f\x7f]*$"  # no C0 control characters (NUL included) and no DEL
# a volume per calculation period: more than zero, and at most 10¹¹ m³ (the Yangtze carries ~10¹² m³ a year)
MAX_VOLUME_M3 = Decimal(10) ** 11
STATUSES = ("draft", "insufficient data", "confirmed", "approved", "notified", "paid")

ShortText = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=NO_CONTROL, strip_whitespace=True)]
LongText = Annotated[str, StringConstraints(min_length=1, max_length=500, pattern=NO_CONTROL, strip_whitespace=True)]
PeriodLabel = Annotated[str, StringConstraints(pattern=LABEL_PATTERN)]
Volume = Annotated[Decimal, Field(gt=0, le=MAX_VOLUME_M3, max_digits=20, decimal_places=3)]
Volumes = Annotated[dict[PeriodLabel, Volume], Field(max_length=36)]
Status = Literal["draft", "insufficient data", "confirmed", "approved", "notified", "paid"]
TargetStatus = Literal["confirmed", "approved", "notified", "paid"]
BeijingTime = Annotated[datetime, PlainSerializer(lambda t: local(t).isoformat(), return_type=str, when_used="json")]
Money = Annotated[Decimal, PlainSerializer(lambda v: format(v, "f"), return_type=str, when_used="json")]


class Refusal(BaseModel):
    """Every 4xx: a sentence, or for invalid input the list of fields and what is wrong with each."""

    detail: str | list[dict[str, Any]]

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"detail": "unknown statement 42"},
                {
                    "detail": [
                        {
                            "loc": ["body", "period"],
                            "msg": "String should match pattern",
                            "type": "string_pattern_mismatch",
                        }
                    ]
                },
            ]
        }
    )


REFUSALS: dict[int | str, dict[str, Any]] = {
    400: {"model": Refusal, "description": "a body that is not JSON (or not UTF-8)"},
    401: {"model": Refusal, "description": "missing or invalid credentials"},
    403: {"model": Refusal, "description": "the principal's role may not do this"},
    404: {"model": Refusal, "description": "unknown, or outside the principal's parties"},
    409: {"model": Refusal, "description": "the statement's state does not allow this"},
    422: {"model": Refusal, "description": "invalid input; the fields are named"},
}


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ComputeBody(_In):
    period: PeriodLabel = Field(description="Assessment period label: 2025, 2025Q2, 2025-03 (ASCII digits)")
    declared_volumes_m3: Volumes = Field(
        default={}, description="Water volume per calculation period (m³), for flux components with declared volumes"
    )

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"period": "2025"}]})


class RecalculateBody(_In):
    reason: LongText
    approver: ShortText
    declared_volumes_m3: Volumes = {}

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"reason": "12月迟到的人工监测数据", "approver": "王局长"}]}
    )


class TransitionBody(_In):
    status: TargetStatus
    note: LongText | None = None

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"status": "confirmed"}]})


class PrincipalBody(_In):
    name: Annotated[str, StringConstraints(pattern=PRINCIPAL_NAME)]
    role: Role
    parties: Annotated[list[PartyCode], Field(max_length=20)] = []
    # a user; without it an API key is issued
    password: Annotated[str, StringConstraints(min_length=MIN_PASSWORD_LENGTH, max_length=128, pattern=NO_CONTROL)] | (
        None
    ) = None


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="seconds")

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"access_token": "q3…", "token_type": "bearer", "expires_in": 3600}]}
    )


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class AgreementSummary(BaseModel):
    id: str
    name: str
    river: str
    version: int = Field(description="the version in force for the latest periods")
    effective_from: date
    sha256: str
    illustrative: bool
    upstream: Party
    downstream: Party
    term: Term

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "XXJ-XIAOSHAN-KEQIAO",
                    "name": "西小江流域（萧山—柯桥）跨界断面横向生态保护补偿协议（示意）",
                    "river": "西小江",
                    "version": 1,
                    "effective_from": "2024-01-01",
                    "sha256": "9f2c…",
                    "illustrative": True,
                    "upstream": {"name": "萧山区", "code": "xiaoshan"},
                    "downstream": {"name": "柯桥区", "code": "keqiao"},
                    "term": {"start": "2024-01-01", "end": "2026-12-31"},
                }
            ]
        }
    )


class AgreementVersionInfo(BaseModel):
    version: int
    sha256: str
    effective_from: date
    replaced: bool = Field(description="a newer version took over from the same or an earlier date")
    origin: str
    created_by: str
    created_at: BeijingTime


class AgreementDetail(AgreementSummary):
    content: dict[str, Any] = Field(description="the agreement as stored (see PUT /agreements/{id})")
    history: list[AgreementVersionInfo]


class AgreementPutOut(BaseModel):
    id: str
    version: int
    created: bool = Field(description="false when this content is already the version in force from its date")
    effective_from: date

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"id": "XXJ-XIAOSHAN-KEQIAO", "version": 2, "created": True, "effective_from": "2026-01-01"}]
        }
    )


class Event(BaseModel):
    status: str
    actor: str
    at: BeijingTime
    note: str | None


class StatementSummary(BaseModel):
    id: int
    agreement_id: str
    period: str
    fiscal_year: int
    revision: int
    agreement_version: int
    status: Status
    superseded_by_revision: int | None = Field(description="the latest revision of the period, if this is not it")
    direction: Direction | None = Field(description="null when the statement is blocked for insufficient data")
    payer: Party | None
    receiver: Party | None
    amount_yuan: Money | None = Field(description="absolute amount in 元 to the fen, from the stored document")
    input_sha256: str
    rule_sha256: str
    created_by: str
    created_at: BeijingTime

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 7,
                    "agreement_id": "XXJ-XIAOSHAN-KEQIAO",
                    "period": "2025",
                    "fiscal_year": 2025,
                    "revision": 1,
                    "agreement_version": 1,
                    "status": "draft",
                    "superseded_by_revision": None,
                    "direction": "downstream pays upstream",
                    "payer": {"name": "柯桥区", "code": "keqiao"},
                    "receiver": {"name": "萧山区", "code": "xiaoshan"},
                    "amount_yuan": "5000000.00",
                    "input_sha256": "3b1d…",
                    "rule_sha256": "9f2c…",
                    "created_by": "bureau-sx",
                    "created_at": "2026-01-05T09:30:00+08:00",
                }
            ]
        }
    )


class StatementOut(StatementSummary):
    reason: str | None
    approver: str | None
    events: list[Event]
    exact: bool = Field(description="true: exact figures as stored; false: figures at reporting precision")
    document: StatementDocument


class VerifyOut(BaseModel):
    statement: int
    match: bool
    schema_version: int = Field(description="the document schema the statement was stored, and is verified, in")
    mismatches: list[str] = Field(description="what differs: the document, its inputs, or a column beside it")
    notes: list[str] = Field(
        description="informational, not mismatches: what a recalculation under the current schema would add"
    )
    input_sha256: str
    input_sha256_now: str
    rule_sha256: str
    rule_sha256_now: str
    bytes: int

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "statement": 7,
                    "match": True,
                    "schema_version": 3,
                    "mismatches": [],
                    "notes": [
                        "verified in schema 3; a recalculation under schema 4 would add joint_confirmation "
                        "(数据互认: whether every party confirmed each month of the assessment sections)"
                    ],
                    "input_sha256": "3b1d…",
                    "input_sha256_now": "3b1d…",
                    "rule_sha256": "9f2c…",
                    "rule_sha256_now": "9f2c…",
                    "bytes": 18211,
                }
            ]
        }
    )


class AuditEntry(BaseModel):
    id: int
    at: BeijingTime
    actor: str
    action: str
    object: str
    detail: dict[str, Any]


class PrincipalOut(BaseModel):
    name: str
    role: Role
    parties: list[str]
    api_key: str | None = Field(default=None, description="shown once, when an API key is created")
