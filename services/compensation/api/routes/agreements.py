"""Agreements: the versions in force, their history, and an admin's new version (PUT)."""

from typing import Annotated

from fastapi import APIRouter, Path, Query

from services.compensation import repository
from services.compensation.access import Role
from services.compensation.agreements import Agreement
from services.compensation.api.deps import Db, Who
from services.compensation.api.errors import BadRequest
from services.compensation.api.models import (
    AGREEMENT_ID,
    INT_MAX,
    REFUSALS,
    AgreementDetail,
    AgreementPutOut,
    AgreementSummary,
    AgreementVersionInfo,
)
from services.compensation.api.scope import visible_agreement
from services.compensation.repository import StoredAgreement

router = APIRouter(tags=["agreements"], responses=REFUSALS)
ADMIN_ONLY = frozenset({Role.ADMIN})
AgreementId = Annotated[str, Path(pattern=AGREEMENT_ID, description="e.g. XXJ-XIAOSHAN-KEQIAO")]


def summary(stored: StoredAgreement) -> AgreementSummary:
    a = stored.agreement
    return AgreementSummary(
        id=a.id,
        name=a.name,
        river=a.river,
        version=stored.version,
        effective_from=stored.effective_from,
        sha256=stored.sha256,
        illustrative=a.illustrative,
        upstream=a.parties.upstream,
        downstream=a.parties.downstream,
        term=a.term,
    )


@router.get("/agreements")
def list_agreements(connection: Db, who: Who) -> list[AgreementSummary]:
    return [summary(s) for s in repository.latest_agreements(connection) if who.sees(s.agreement)]


@router.get("/agreements/{agreement_id}")
def get_agreement(
    connection: Db,
    who: Who,
    agreement_id: AgreementId,
    version: Annotated[int | None, Query(ge=1, le=INT_MAX)] = None,
) -> AgreementDetail:
    stored = visible_agreement(connection, who, agreement_id, version)
    return AgreementDetail(
        **summary(stored).model_dump(),
        content=stored.agreement.model_dump(mode="json"),
        history=[AgreementVersionInfo(**h) for h in repository.agreement_history(connection, agreement_id)],
    )


@router.put("/agreements/{agreement_id}")
def put_agreement(connection: Db, who: Who, agreement_id: AgreementId, body: Agreement) -> AgreementPutOut:
    """A new version, in force for periods from its ``effective_from`` (default: the term's start).

    Content identical to the version already in force from that date changes nothing (``created: false``);
    any other content, including an earlier version's, becomes a new version in force.
    """
    who.require(ADMIN_ONLY, "edit agreements")
    if body.id != agreement_id:
        raise BadRequest(f"body is agreement {body.id!r}, not {agreement_id!r}")
    version, created = repository.add_agreement_version(
        connection, body, origin="api", actor=who.name, unless="in_force"
    )
    repository.record_audit(
        connection,
        who.name,
        "agreement.version",
        f"agreement:{agreement_id}",
        {"version": version, "created": created, "effective_from": body.in_force_from},
    )
    return AgreementPutOut(id=agreement_id, version=version, created=created, effective_from=body.in_force_from)
