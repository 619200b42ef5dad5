"""Statements: compute (draft or blocked), sign off, recalculate as a new revision, and verify byte for byte."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection

from services.compensation import repository
from services.compensation.access import RECALCULATE_ROLES, Principal, StateConflict, check_transition
from services.compensation.canonical import canonical_json
from services.compensation.engine import FLOW, STATUS_INSUFFICIENT, EngineInput, compute
from services.compensation.periods import MONTHS_PER_YEAR, parse_period
from services.compensation.repository import StoredAgreement

DRAFT = "draft"


@dataclass(frozen=True)
class Request:
    period: str
    declared_volumes: dict[str, Decimal]
    term_total_before: Decimal | None = None  # None: read from the earlier statements


def _engine_input(connection: Connection, stored: StoredAgreement, request: Request) -> EngineInput:
    agreement = stored.agreement
    period = parse_period(agreement, request.period)
    # the comparison year, when a component needs one, is read in the same window (and hash)
    lead = MONTHS_PER_YEAR if agreement.needs_comparison_year() else 0
    window = repository.ReadingsWindow(
        stations=tuple(s.code for s in agreement.sections),
        parameters=tuple([i.code for i in agreement.indicators] + ([FLOW] if agreement.needs_flow() else [])),
        months=tuple(period.first.shifted(i - lead) for i in range(lead + period.months)),
    )
    read = repository.readings_input(connection.engine, window, agreement.adjustments.exclusions)
    before = request.term_total_before
    if before is None:
        before = repository.term_total_before(connection, agreement.id, period.label)
    return EngineInput(
        agreement=agreement,
        agreement_version=stored.version,
        rule_sha256=stored.sha256,
        period=period,
        summaries=read.summaries,
        input_sha256=read.sha256,
        sections=repository.section_infos(connection, window.stations),
        declared_volumes=request.declared_volumes,
        term_total_before=before,
    )


def _store(
    connection: Connection,
    stored: StoredAgreement,
    document: dict[str, Any],
    revision: int,
    actor: str,
    reason: str | None,
    approver: str | None,
) -> int:
    status = STATUS_INSUFFICIENT if document["status"] == STATUS_INSUFFICIENT else DRAFT
    result = document["result"]
    statement_id = repository.insert_statement(
        connection,
        {
            "agreement_id": stored.agreement.id,
            "period": document["period"]["label"],
            "revision": revision,
            "agreement_version": stored.version,
            "status": status,
            "document": canonical_json(document).decode(),
            "input_sha256": document["inputs"]["sha256"],
            "rule_sha256": stored.sha256,
            "amount": result["amount"] if result else None,
            "reason": reason,
            "approver": approver,
            "created_by": actor,
        },
    )
    repository.add_event(connection, statement_id, status, actor, reason)
    repository.record_audit(
        connection,
        actor,
        "statement.compute",
        f"statement:{statement_id}",
        {
            "agreement": stored.agreement.id,
            "version": stored.version,
            "period": document["period"]["label"],
            "revision": revision,
            "status": status,
            "input_sha256": document["inputs"]["sha256"],
        },
    )
    return statement_id


def create(connection: Connection, principal: Principal, stored: StoredAgreement, request: Request) -> int:
    """Revision 1 of a period's statement; a period already computed needs :func:`recalculate`."""
    period = parse_period(stored.agreement, request.period).label
    if repository.latest_revision(connection, stored.agreement.id, period) is not None:
        raise StateConflict(f"{stored.agreement.id} {period} already has a statement; recalculate it with a reason")
    document = compute(_engine_input(connection, stored, request))
    return _store(connection, stored, document, 1, principal.name, None, None)


def recalculate(
    connection: Connection,
    principal: Principal,
    stored: StoredAgreement,
    statement_id: int,
    request: Request,
    reason: str,
    approver: str,
) -> int:
    """A new revision from today's data and the agreement's latest version; the old revision stays as it was."""
    principal.require(RECALCULATE_ROLES, "recalculate a statement")
    if not reason.strip() or not approver.strip():
        raise ValueError("a recalculation needs a reason and the name of who approved it")
    old = repository.statement(connection, statement_id)
    latest = repository.latest_revision(connection, old["agreement_id"], old["period"])
    assert latest is not None
    if latest["id"] != statement_id:
        raise StateConflict(
            f"statement {statement_id} is revision {old['revision']}; recalculate the latest, "
            f"revision {latest['revision']} (statement {latest['id']})"
        )
    document = compute(_engine_input(connection, stored, Request(old["period"], request.declared_volumes)))
    return _store(connection, stored, document, old["revision"] + 1, principal.name, reason, approver)


def transition(connection: Connection, principal: Principal, statement_id: int, target: str, note: str | None) -> None:
    row = repository.statement(connection, statement_id, lock=True)
    latest = repository.latest_revision(connection, row["agreement_id"], row["period"])
    if latest is not None and latest["id"] != statement_id:
        raise StateConflict(f"statement {statement_id} was superseded by revision {latest['revision']}")
    check_transition(principal, row["status"], target)
    repository.set_status(connection, statement_id, target)
    repository.add_event(connection, statement_id, target, principal.name, note)
    repository.record_audit(
        connection,
        principal.name,
        f"statement.{target}",
        f"statement:{statement_id}",
        {"from": row["status"], "to": target, "note": note},
    )


def verify(connection: Connection, statement_id: int) -> dict[str, Any]:
    """Recompute from the stored rule version and today's rows; the bytes must equal the stored document."""
    row = repository.statement(connection, statement_id)
    stored_document = json.loads(row["document"])
    stored = repository.agreement_version(connection, row["agreement_id"], row["agreement_version"])
    inputs = stored_document["inputs"]
    request = Request(
        row["period"],
        {k: Decimal(v) for k, v in inputs["declared_volumes"].items()},
        Decimal(inputs["term_total_before"]),
    )
    recomputed = canonical_json(compute(_engine_input(connection, stored, request)))
    stored_bytes = row["document"].encode()
    return {
        "statement": statement_id,
        "match": recomputed == stored_bytes,
        "input_sha256": row["input_sha256"],
        "input_sha256_now": json.loads(recomputed)["inputs"]["sha256"],
        "rule_sha256": row["rule_sha256"],
        "rule_sha256_now": stored.sha256,
        "bytes": len(stored_bytes),
    }
