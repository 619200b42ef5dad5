"""Statements: compute (draft or blocked), sign off, recalculate as a new revision, and verify byte for byte."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection

from services.compensation import confirmations, repository
from services.compensation.access import RECALCULATE_ROLES, Principal, StateConflict, check_transition
from services.compensation.agreements import MAX_YUAN
from services.compensation.document import (
    SCHEMA_VERSION,
    ConfirmedMonth,
    JointConfirmation,
    StatementDocument,
    added_after,
    in_schema,
    inexpressible,
    read_stored,
)
from services.compensation.engine import FLOW, STATUS_INSUFFICIENT, EngineInput, compute
from services.compensation.periods import (
    MONTHS_PER_YEAR,
    PeriodError,
    StatementPeriod,
    calculation_periods,
    parse_period,
)
from services.compensation.repository import StoredAgreement

DRAFT = "draft"


class Implausible(ValueError):
    """Inputs that would settle an amount no agreement can mean (e.g. a mistyped volume)."""


@dataclass(frozen=True)
class Request:
    period: str
    declared_volumes: dict[str, Decimal]
    term_total_before: Decimal | None = None  # None: read from the earlier statements


def period_and_version(
    connection: Connection, agreement_id: str, label: str
) -> tuple[StatementPeriod, StoredAgreement]:
    """The period a label names and the agreement version in force on its first day."""
    latest = repository.agreement_version(connection, agreement_id)
    first_day = parse_period(latest.agreement, label, check_term=False).first_day
    stored = repository.version_in_force(connection, agreement_id, first_day)
    return parse_period(stored.agreement, label), stored


def joint_confirmation(connection: Connection, stored: StoredAgreement, period: StatementPeriod) -> JointConfirmation:
    """Whether every month of every assessment section is confirmed by every party (数据互认), as of now."""
    states = confirmations.month_states(
        connection, [s.code for s in stored.agreement.assessment_sections], period.month_list
    )
    months = [
        ConfirmedMonth(
            section=state.section,
            month=state.month,
            readings_sha256=state.current_sha256,
            revision=state.revision,
            confirmed_by=list(state.confirmed_by),
            missing=list(state.missing),
            confirmed=state.confirmed,
        )
        for state in states
    ]
    return JointConfirmation(
        required=stored.agreement.data_rules.require_joint_confirmation,
        confirmed=all(m.confirmed for m in months),
        months=months,
    )


def _engine_input(connection: Connection, stored: StoredAgreement, request: Request) -> EngineInput:
    agreement = stored.agreement
    period = parse_period(agreement, request.period)
    calculation = {label for label, _ in calculation_periods(agreement, period)}
    if unknown := sorted(set(request.declared_volumes) - calculation):
        raise PeriodError(f"declared volumes for {unknown}, which are not calculation periods of {period.label}")
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
        expected=repository.expected_samples(connection, window, agreement.adjustments.exclusions),
        declared_volumes=request.declared_volumes,
        term_total_before=before,
        joint_confirmation=joint_confirmation(connection, stored, period),
    )


def _store(
    connection: Connection,
    stored: StoredAgreement,
    document: StatementDocument,
    revision: int,
    actor: str,
    reason: str | None,
    approver: str | None,
) -> int:
    if document.result is not None and abs(document.result.amount) > MAX_YUAN:
        raise Implausible(
            f"the statement would settle {document.result.amount} 元, beyond any agreement's {MAX_YUAN} 元: "
            "check the declared volumes and the agreement's prices"
        )
    status = STATUS_INSUFFICIENT if document.status == STATUS_INSUFFICIENT else DRAFT
    statement_id = repository.insert_statement(
        connection,
        {
            "agreement_id": stored.agreement.id,
            "period": document.period.label,
            "revision": revision,
            "agreement_version": stored.version,
            "status": status,
            "document": document.canonical().decode(),
            "input_sha256": document.inputs.sha256,
            "rule_sha256": stored.sha256,
            "amount": document.result.amount if document.result else None,
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
            "period": document.period.label,
            "revision": revision,
            "status": status,
            "input_sha256": document.inputs.sha256,
        },
    )
    return statement_id


def create(connection: Connection, principal: Principal, agreement_id: str, request: Request) -> int:
    """Revision 1 of a period's statement, under the version in force for the period; later ones recalculate."""
    period, stored = period_and_version(connection, agreement_id, request.period)
    repository.lock_period(connection, agreement_id, period.label)
    if repository.latest_revision(connection, agreement_id, period.label) is not None:
        raise StateConflict(f"{agreement_id} {period.label} already has a statement; recalculate it with a reason")
    document = compute(_engine_input(connection, stored, Request(period.label, request.declared_volumes)))
    return _store(connection, stored, document, 1, principal.name, None, None)


def recalculate(
    connection: Connection,
    principal: Principal,
    statement_id: int,
    declared_volumes: dict[str, Decimal],
    reason: str,
    approver: str,
) -> int:
    """A new revision from today's data under the version in force for the period; the old one stays as it was."""
    principal.require(RECALCULATE_ROLES, "recalculate a statement")
    old = repository.statement(connection, statement_id)
    repository.lock_period(connection, old["agreement_id"], old["period"])
    latest = repository.latest_revision(connection, old["agreement_id"], old["period"])
    assert latest is not None
    if latest["id"] != statement_id:
        raise StateConflict(
            f"statement {statement_id} is revision {old['revision']}; recalculate the latest, "
            f"revision {latest['revision']} (statement {latest['id']})"
        )
    _, stored = period_and_version(connection, old["agreement_id"], old["period"])
    document = compute(_engine_input(connection, stored, Request(old["period"], declared_volumes)))
    return _store(connection, stored, document, old["revision"] + 1, principal.name, reason, approver)


def transition(connection: Connection, principal: Principal, statement_id: int, target: str, note: str | None) -> None:
    row = repository.statement(connection, statement_id, lock=True)
    latest = repository.latest_revision(connection, row["agreement_id"], row["period"])
    if latest is not None and latest["id"] != statement_id:
        raise StateConflict(f"statement {statement_id} was superseded by revision {latest['revision']}")
    check_transition(principal, row["status"], target)
    if target == "confirmed":
        _require_joint_confirmation(row)
    repository.set_status(connection, statement_id, target)
    repository.add_event(connection, statement_id, target, principal.name, note)
    repository.record_audit(
        connection,
        principal.name,
        f"statement.{target}",
        f"statement:{statement_id}",
        {"from": row["status"], "to": target, "note": note},
    )


def _require_joint_confirmation(row: dict[str, Any]) -> None:
    """An agreement that requires 数据互认 refuses to confirm a statement whose months were not all confirmed."""
    document = read_stored(row["document"])
    joint = document.joint_confirmation
    if joint is None or not joint.required or joint.confirmed:
        return
    missing = [f"{m.section} {m.month}（待 {'、'.join(m.missing)} 确认）" for m in joint.months if not m.confirmed]
    raise StateConflict(
        "协议要求结算数据经双方确认（数据互认）后方可确认结算单；未确认："
        + "；".join(missing)
        + "。各方确认后请重新计算结算单"
    )


@dataclass(frozen=True)
class Verification:
    statement: int
    match: bool
    schema_version: int
    mismatches: list[str]
    notes: list[str]
    input_sha256: str
    input_sha256_now: str
    rule_sha256: str
    rule_sha256_now: str
    bytes: int


def verify(connection: Connection, statement_id: int) -> Verification:
    """Recompute from the stored rule version and today's rows, rendered in the schema the statement was stored
    under: the bytes must equal the stored document, and every column shown beside it (amount, period, version,
    hashes, status) must agree with it. What the current schema would add is a note, not a mismatch.
    A document no known schema reads raises :class:`UnreadableDocument`."""
    row = repository.statement(connection, statement_id)
    stored_bytes = row["document"].encode()
    document = read_stored(stored_bytes)
    schema = document.schema_version
    stored = repository.agreement_version(connection, row["agreement_id"], row["agreement_version"])
    request = Request(row["period"], dict(document.inputs.declared_volumes), document.inputs.term_total_before)
    current = compute(_engine_input(connection, stored, request))
    recomputed = in_schema(current, schema)
    mismatches = [
        f"schema {schema}: the agreement version sets {addition.path}, which schema {schema} could not express"
        for addition in inexpressible(current, schema)
    ]
    if recomputed.canonical() != stored_bytes:
        mismatches.append(f"document: the statement recomputed in its schema {schema} differs from the stored one")
    if recomputed.inputs.sha256 != document.inputs.sha256:
        mismatches.append("inputs: the readings of the period changed since the statement was computed")
    if recomputed.joint_confirmation != document.joint_confirmation:
        mismatches.append("joint confirmation: the months' confirmations changed since the statement was computed")
    columns = {
        "amount": document.result.amount if document.result else None,
        "period": document.period.label,
        "agreement_id": document.agreement.id,
        "agreement_version": document.agreement.version,
        "input_sha256": document.inputs.sha256,
        "rule_sha256": document.agreement.rule_sha256,
    }
    mismatches += [
        f"column {name}: {row[name]!r} is not the document's {value!r}"
        for name, value in columns.items()
        if row[name] != value
    ]
    events = repository.events(connection, statement_id)
    if not events or events[-1]["status"] != row["status"]:
        mismatches.append(f"column status: {row['status']!r} is not the last sign-off event's")
    return Verification(
        statement=statement_id,
        match=not mismatches,
        schema_version=schema,
        mismatches=mismatches,
        notes=[
            f"verified in schema {schema}; a recalculation under schema {SCHEMA_VERSION} would add "
            f"{addition.path} ({addition.meaning})"
            for addition in added_after(schema)
        ],
        input_sha256=row["input_sha256"],
        input_sha256_now=recomputed.inputs.sha256,
        rule_sha256=row["rule_sha256"],
        rule_sha256_now=stored.sha256,
        bytes=len(stored_bytes),
    )
