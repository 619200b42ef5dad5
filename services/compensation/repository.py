"""Database access for compensation: agreement versions, readings summaries, statements, events, audit."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Numeric, RowMapping, and_, func, insert, or_, select, text

from services.compensation.agreements import Agreement, Exclusion, agreement_document, agreement_sha256, parse_agreement
from services.compensation.canonical import canonical_json
from services.compensation.engine import SectionInfo
from services.compensation.samples import Summary
from services.compensation.tables import agreement_versions, audit, statement_events, statements
from services.storage.schema import readings, stations


class NotFound(LookupError):
    """An agreement, version or statement that does not exist (or is outside the caller's scope)."""


@dataclass(frozen=True)
class StoredAgreement:
    agreement: Agreement
    version: int
    sha256: str
    origin: str
    created_by: str
    created_at: datetime


def _stored(row: RowMapping) -> StoredAgreement:
    return StoredAgreement(
        parse_agreement(json.loads(row["content"])),
        row["version"],
        row["sha256"],
        row["origin"],
        row["created_by"],
        row["created_at"],
    )


def add_agreement_version(connection: Connection, agreement: Agreement, *, origin: str, actor: str) -> tuple[int, bool]:
    """Store the agreement as a new version unless this exact content is already a version; (version, created)."""
    sha = agreement_sha256(agreement)
    existing = connection.execute(
        select(agreement_versions.c.version).where(
            agreement_versions.c.agreement_id == agreement.id, agreement_versions.c.sha256 == sha
        )
    ).scalar_one_or_none()
    if existing is not None:
        return existing, False
    # serialise concurrent edits of one agreement so version numbers never collide
    connection.execute(text("select pg_advisory_xact_lock(hashtext(:key))"), {"key": f"agreement:{agreement.id}"})
    latest = connection.execute(
        select(func.max(agreement_versions.c.version)).where(agreement_versions.c.agreement_id == agreement.id)
    ).scalar_one()
    version = (latest or 0) + 1
    connection.execute(
        insert(agreement_versions).values(
            agreement_id=agreement.id,
            version=version,
            content=canonical_json(agreement_document(agreement)).decode(),
            sha256=sha,
            origin=origin,
            created_by=actor,
        )
    )
    return version, True


def latest_agreements(connection: Connection) -> list[StoredAgreement]:
    newest = (
        select(agreement_versions.c.agreement_id, func.max(agreement_versions.c.version).label("version"))
        .group_by(agreement_versions.c.agreement_id)
        .subquery()
    )
    rows = connection.execute(
        select(agreement_versions)
        .join(
            newest,
            and_(
                agreement_versions.c.agreement_id == newest.c.agreement_id,
                agreement_versions.c.version == newest.c.version,
            ),
        )
        .order_by(agreement_versions.c.agreement_id)
    ).mappings()
    return [_stored(row) for row in rows]


def agreement_version(connection: Connection, agreement_id: str, version: int | None = None) -> StoredAgreement:
    query = select(agreement_versions).where(agreement_versions.c.agreement_id == agreement_id)
    query = (
        query.where(agreement_versions.c.version == version)
        if version is not None
        else query.order_by(agreement_versions.c.version.desc()).limit(1)
    )
    row = connection.execute(query).mappings().first()
    if row is None:
        raise NotFound(f"unknown agreement {agreement_id!r}" + (f" version {version}" if version else ""))
    return _stored(row)


def agreement_history(connection: Connection, agreement_id: str) -> list[dict[str, Any]]:
    rows = connection.execute(
        select(
            agreement_versions.c.version,
            agreement_versions.c.sha256,
            agreement_versions.c.origin,
            agreement_versions.c.created_by,
            agreement_versions.c.created_at,
        )
        .where(agreement_versions.c.agreement_id == agreement_id)
        .order_by(agreement_versions.c.version)
    ).mappings()
    return [dict(row) for row in rows]


def section_infos(connection: Connection, codes: Iterable[str]) -> dict[str, SectionInfo]:
    wanted = list(codes)
    rows = connection.execute(select(stations).where(stations.c.code.in_(wanted))).mappings()
    found = {
        row["code"]: SectionInfo(
            row["code"],
            row["name"],
            row["control_level"],
            row["waterbody"] or "river",
            row["county"],
            row["latitude"],
            row["longitude"],
        )
        for row in rows
    }
    if missing := sorted(set(wanted) - set(found)):
        raise NotFound(f"sections not in the station registry: {missing}")
    return found


def _window(station_codes: Sequence[str], parameters: Sequence[str], start: datetime, end: datetime) -> Any:
    return and_(
        readings.c.station.in_(station_codes),
        readings.c.parameter.in_(parameters),
        readings.c.time >= start,
        readings.c.time < end,
    )


def _exclusion_spans(exclusions: Iterable[Exclusion], zone: ZoneInfo) -> list[Any]:
    spans = []
    for e in exclusions:
        start = datetime(e.start.year, e.start.month, e.start.day, tzinfo=zone)
        end = datetime(e.end.year, e.end.month, e.end.day, tzinfo=zone) + timedelta(days=1)
        spans.append(and_(readings.c.time >= start, readings.c.time < end))
    return spans


def summaries(
    connection: Connection,
    station_codes: Sequence[str],
    parameters: Sequence[str],
    start: datetime,
    end: datetime,
    exclusions: Iterable[Exclusion],
    zone: ZoneInfo,
) -> tuple[Summary, ...]:
    """Counts and exact sums per station, parameter, local month, source and validity, outside exclusions."""
    month = func.to_char(func.timezone(str(zone), readings.c.time), "YYYY-MM").label("month")
    valid = (readings.c.flag == "N").label("valid")
    where = _window(station_codes, parameters, start, end)
    if spans := _exclusion_spans(exclusions, zone):
        where = and_(where, ~or_(*spans))
    query = (
        select(
            readings.c.station,
            readings.c.parameter,
            month,
            readings.c.source,
            valid,
            func.count(),
            func.sum(readings.c.value.cast(Numeric)),
        )
        .where(where)
        .group_by(readings.c.station, readings.c.parameter, month, readings.c.source, valid)
        .order_by(readings.c.station, readings.c.parameter, month, readings.c.source, valid)
    )
    return tuple(Summary(*row) for row in connection.execute(query))


INPUT_HASH_SQL = """
    select encode(sha256(convert_to(coalesce(string_agg(
        concat_ws('|', station, parameter, (extract(epoch from time) * 1000000)::bigint,
                  value::numeric::text, flag, source),
        E'\\n' order by station, parameter, time), ''), 'UTF8')), 'hex')
    from readings
    where station = any(:stations) and parameter = any(:parameters) and time >= :start and time < :end
"""


def input_sha256(
    connection: Connection, station_codes: Sequence[str], parameters: Sequence[str], start: datetime, end: datetime
) -> str:
    """SHA-256 of every row in the window (valid or not, excluded or not): the statement's exact input."""
    return str(
        connection.execute(
            text(INPUT_HASH_SQL),
            {
                "stations": list(station_codes),
                "parameters": list(parameters),
                "start": start,
                "end": end,
            },
        ).scalar_one()
    )


def record_audit(connection: Connection, actor: str, action: str, object_: str, detail: dict[str, Any]) -> None:
    connection.execute(
        insert(audit).values(actor=actor, action=action, object=object_, detail=json.loads(canonical_json(detail)))
    )


def audit_entries(connection: Connection, limit: int = 200) -> list[dict[str, Any]]:
    rows = connection.execute(select(audit).order_by(audit.c.id.desc()).limit(limit)).mappings()
    return [dict(row) for row in rows]


def insert_statement(connection: Connection, values: dict[str, Any]) -> int:
    return int(connection.execute(insert(statements).values(**values).returning(statements.c.id)).scalar_one())


def add_event(connection: Connection, statement_id: int, status: str, actor: str, note: str | None) -> None:
    connection.execute(
        insert(statement_events).values(statement_id=statement_id, status=status, actor=actor, note=note)
    )


def statement(connection: Connection, statement_id: int, *, lock: bool = False) -> dict[str, Any]:
    query = select(statements).where(statements.c.id == statement_id)
    row = connection.execute(query.with_for_update() if lock else query).mappings().first()
    if row is None:
        raise NotFound(f"unknown statement {statement_id}")
    return dict(row)


def set_status(connection: Connection, statement_id: int, status: str) -> None:
    connection.execute(statements.update().where(statements.c.id == statement_id).values(status=status))


def events(connection: Connection, statement_id: int) -> list[dict[str, Any]]:
    rows = connection.execute(
        select(statement_events).where(statement_events.c.statement_id == statement_id).order_by(statement_events.c.id)
    ).mappings()
    return [dict(row) for row in rows]


def list_statements(connection: Connection, agreement_ids: Iterable[str]) -> list[dict[str, Any]]:
    columns = [c for c in statements.c if c.name != "document"]
    rows = connection.execute(
        select(*columns)
        .where(statements.c.agreement_id.in_(list(agreement_ids)))
        .order_by(statements.c.agreement_id, statements.c.period.desc(), statements.c.revision.desc())
    ).mappings()
    return [dict(row) for row in rows]


def latest_revision(connection: Connection, agreement_id: str, period: str) -> dict[str, Any] | None:
    row = (
        connection.execute(
            select(statements)
            .where(statements.c.agreement_id == agreement_id, statements.c.period == period)
            .order_by(statements.c.revision.desc())
            .limit(1)
        )
        .mappings()
        .first()
    )
    return dict(row) if row else None


def term_total_before(connection: Connection, agreement_id: str, period: str) -> Decimal:
    """Net amount of the latest revision of every earlier period of the agreement (labels sort by time)."""
    newest = (
        select(statements.c.period, func.max(statements.c.revision).label("revision"))
        .where(statements.c.agreement_id == agreement_id, statements.c.period < period)
        .group_by(statements.c.period)
        .subquery()
    )
    total = connection.execute(
        select(func.coalesce(func.sum(statements.c.amount), 0))
        .join_from(
            statements, newest, and_(statements.c.period == newest.c.period, statements.c.revision == newest.c.revision)
        )
        .where(statements.c.agreement_id == agreement_id)
    ).scalar_one()
    return Decimal(total)
