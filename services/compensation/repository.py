"""Database access for compensation: agreement versions, readings summaries, statements, events, audit."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import product
from typing import Any, Literal

import psycopg
from sqlalchemy import (
    Connection,
    DateTime,
    Engine,
    Integer,
    Numeric,
    RowMapping,
    and_,
    bindparam,
    func,
    insert,
    or_,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, distinct_on

from services.compensation.agreements import Agreement, Exclusion, agreement_document, agreement_sha256, parse_agreement
from services.compensation.canonical import canonical_json
from services.compensation.document import Result
from services.compensation.engine import SectionInfo
from services.compensation.periods import Month
from services.compensation.samples import VALID_FLAG, Summary, excluded
from services.compensation.tables import agreement_versions, audit, statement_events, statements
from services.standards.local_time import day_end, day_start
from services.storage.programmes import load_programmes
from services.storage.schema import readings, stations


class NotFound(LookupError):
    """An agreement, version or statement that does not exist (or is outside the caller's scope)."""


class NoVersionInForce(LookupError):
    """The agreement has no version in force for the period asked for."""


@dataclass(frozen=True)
class StoredAgreement:
    agreement: Agreement
    version: int
    sha256: str
    origin: str
    created_by: str
    created_at: datetime
    effective_from: date


def _stored(row: RowMapping) -> StoredAgreement:
    return StoredAgreement(
        parse_agreement(json.loads(row["content"])),
        row["version"],
        row["sha256"],
        row["origin"],
        row["created_by"],
        row["created_at"],
        row["effective_from"],
    )


IN_FORCE_ORDER = (agreement_versions.c.effective_from.desc(), agreement_versions.c.version.desc())


def add_agreement_version(
    connection: Connection, agreement: Agreement, *, origin: str, actor: str, unless: Literal["known", "in_force"]
) -> tuple[int, bool]:
    """Store the agreement as a new version; (version, created).

    ``unless="known"`` (shipped files at start): nothing is stored when any version has this content, so a
    restart never undoes an API edit. ``unless="in_force"`` (an admin's edit): nothing is stored only when
    this content is already the version in force from its date; putting back an earlier content makes it a
    new version, in force from its date.
    """
    sha = agreement_sha256(agreement)
    # serialise concurrent edits of one agreement so version numbers never collide
    connection.execute(text("select pg_advisory_xact_lock(hashtext(:key))"), {"key": f"agreement:{agreement.id}"})
    same = select(agreement_versions.c.version, agreement_versions.c.sha256).where(
        agreement_versions.c.agreement_id == agreement.id
    )
    if unless == "known":
        existing = connection.execute(same.where(agreement_versions.c.sha256 == sha)).first()
    else:
        in_force = connection.execute(
            same.where(agreement_versions.c.effective_from <= agreement.in_force_from)
            .order_by(*IN_FORCE_ORDER)
            .limit(1)
        ).first()
        existing = in_force if in_force is not None and in_force.sha256 == sha else None
    if existing is not None:
        return int(existing.version), False
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
            effective_from=agreement.in_force_from,
        )
    )
    return version, True


def latest_agreements(connection: Connection) -> list[StoredAgreement]:
    """Per agreement the version in force for its latest periods (latest date, then newest)."""
    rows = connection.execute(
        select(agreement_versions)
        .ext(distinct_on(agreement_versions.c.agreement_id))
        .order_by(agreement_versions.c.agreement_id, *IN_FORCE_ORDER)
    ).mappings()
    return [_stored(row) for row in rows]


def agreement_version(connection: Connection, agreement_id: str, version: int | None = None) -> StoredAgreement:
    """A version by number, or without one the latest in force."""
    query = select(agreement_versions).where(agreement_versions.c.agreement_id == agreement_id)
    query = (
        query.where(agreement_versions.c.version == version)
        if version is not None
        else query.order_by(*IN_FORCE_ORDER).limit(1)
    )
    row = connection.execute(query).mappings().first()
    if row is None:
        raise NotFound(f"unknown agreement {agreement_id!r}" + (f" version {version}" if version else ""))
    return _stored(row)


def version_in_force(connection: Connection, agreement_id: str, day: date) -> StoredAgreement:
    """The version in force on ``day``: the latest effective date on or before it, then the newest version."""
    row = (
        connection.execute(
            select(agreement_versions)
            .where(agreement_versions.c.agreement_id == agreement_id, agreement_versions.c.effective_from <= day)
            .order_by(*IN_FORCE_ORDER)
            .limit(1)
        )
        .mappings()
        .first()
    )
    if row is None:
        raise NoVersionInForce(f"no version of agreement {agreement_id!r} is in force on {day}")
    return _stored(row)


def agreement_history(connection: Connection, agreement_id: str) -> list[dict[str, Any]]:
    """Every version, oldest first, with the day it comes into force and whether it is superseded."""
    rows = [
        dict(row)
        for row in connection.execute(
            select(
                agreement_versions.c.version,
                agreement_versions.c.sha256,
                agreement_versions.c.effective_from,
                agreement_versions.c.origin,
                agreement_versions.c.created_by,
                agreement_versions.c.created_at,
            )
            .where(agreement_versions.c.agreement_id == agreement_id)
            .order_by(agreement_versions.c.version)
        ).mappings()
    ]
    for row in rows:
        # a version stops applying from the first later-or-equal date of any newer version
        takeovers = [
            other["effective_from"]
            for other in rows
            if other["version"] > row["version"] and other["effective_from"] <= row["effective_from"]
        ]
        row["replaced"] = bool(takeovers)
    return rows


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


SNAPSHOT_ID = re.compile(r"[0-9A-F]+-[0-9A-F]+-[0-9]+")
INPUT_ROWS_COPY = """
    copy (select station, parameter, time, value, flag, source from readings
          where station = %s and parameter = %s and time >= %s and time < %s
          order by time) to stdout (format binary)
"""


@dataclass(frozen=True)
class ReadingsWindow:
    """The readings a statement reads: these stations and parameters over whole Beijing-time months."""

    stations: tuple[str, ...]
    parameters: tuple[str, ...]
    months: tuple[Month, ...]  # consecutive

    @property
    def start(self) -> datetime:
        return self.months[0].start()

    @property
    def end(self) -> datetime:
        return self.months[-1].shifted(1).start()


@dataclass(frozen=True)
class ReadingsInput:
    summaries: tuple[Summary, ...]
    sha256: str


def _exclusion_spans(exclusions: Iterable[Exclusion]) -> list[Any]:
    return [and_(readings.c.time >= day_start(e.start), readings.c.time < day_end(e.end)) for e in exclusions]


def _summaries(connection: Connection, window: ReadingsWindow, exclusions: Iterable[Exclusion]) -> tuple[Summary, ...]:
    """Counts and exact sums per station, parameter, local month, source and validity, outside exclusions."""
    # width_bucket over the month starts is a binary search per row, far cheaper than formatting local times
    month_starts = bindparam("month_starts", [m.start() for m in window.months], ARRAY(DateTime(True)))
    where = and_(
        readings.c.station.in_(window.stations),
        readings.c.parameter.in_(window.parameters),
        readings.c.time >= window.start,
        readings.c.time < window.end,
    )
    if spans := _exclusion_spans(exclusions):
        where = and_(where, ~or_(*spans))
    rows = (
        select(
            readings.c.station,
            readings.c.parameter,
            func.width_bucket(readings.c.time, month_starts).label("month"),
            readings.c.source,
            (readings.c.flag == VALID_FLAG).label("valid"),
            readings.c.value,
        )
        .where(where)
        .subquery()
    )
    keys = (rows.c.station, rows.c.parameter, rows.c.month, rows.c.source, rows.c.valid)
    query = select(*keys, func.count(), func.sum(rows.c.value.cast(Numeric))).group_by(*keys).order_by(*keys)
    return tuple(
        Summary(station, parameter, window.months[month - 1].label, source, valid, count, total)
        for station, parameter, month, source, valid, count, total in connection.execute(query)
    )


def rows_sha256(connection: Connection, window: ReadingsWindow) -> str:
    """SHA-256 of the binary COPY of each (station, parameter) series; see :func:`samples.canonical_rows`."""
    driver = connection.connection.driver_connection
    assert isinstance(driver, psycopg.Connection)
    digest = hashlib.sha256()
    with driver.cursor() as cursor:
        # one series at a time, in code-point order: no collation, and each is an index scan already in time order
        for station, parameter in sorted(product(window.stations, window.parameters)):
            with cursor.copy(INPUT_ROWS_COPY, (station, parameter, window.start, window.end)) as copy:
                for block in copy:
                    digest.update(block)
    return digest.hexdigest()


def _snapshot(engine: Engine) -> Connection:
    return engine.connect().execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)


def readings_input(engine: Engine, window: ReadingsWindow, exclusions: Iterable[Exclusion]) -> ReadingsInput:
    """The summaries and the SHA-256 of every row in the window (valid or not, excluded or not).

    Both read one repeatable-read snapshot, so the hash names exactly the rows that were summed even
    while late data arrives; a second connection imports that snapshot and sums while this one hashes.
    """
    hashing = _snapshot(engine)
    with hashing, hashing.begin(), ThreadPoolExecutor(max_workers=1) as pool:
        exported = hashing.execute(text("select pg_export_snapshot()")).scalar_one()

        def summed() -> tuple[Summary, ...]:
            summing = _snapshot(engine)
            with summing, summing.begin():
                # SET TRANSACTION SNAPSHOT takes no parameters; the id is PostgreSQL's own hex-and-dash token
                if not SNAPSHOT_ID.fullmatch(exported):
                    raise RuntimeError(f"unexpected snapshot id {exported!r}")
                summing.exec_driver_sql(f"set transaction snapshot '{exported}'")
                return _summaries(summing, window, exclusions)

        summaries = pool.submit(summed)
        digest = rows_sha256(hashing, window)
        return ReadingsInput(summaries.result(), digest)


def expected_samples(
    connection: Connection, window: ReadingsWindow, exclusions: Iterable[Exclusion]
) -> dict[tuple[str, str, str], int]:
    """Automatic samples the station programme expects per (station, parameter, month), on the days outside
    approved exclusions; a parameter a station does not measure expects none."""
    programmes = load_programmes(connection, window.stations)
    spans = tuple(exclusions)
    expected: dict[tuple[str, str, str], int] = {}
    for month in window.months:
        first, end = month.first_day, month.shifted(1).first_day
        days = [first + timedelta(days=n) for n in range((end - first).days)]
        open_days = [day for day in days if not excluded(day, spans)]
        for station, parameter in product(window.stations, window.parameters):
            expected[(station, parameter, month.label)] = sum(
                programmes.expected_samples(station, parameter, day_start(day), day_end(day)) for day in open_days
            )
    return expected


def record_audit(connection: Connection, actor: str, action: str, object_: str, detail: dict[str, Any]) -> None:
    connection.execute(
        insert(audit).values(actor=actor, action=action, object=object_, detail=json.loads(canonical_json(detail)))
    )


def audit_entries(connection: Connection, limit: int = 200) -> list[dict[str, Any]]:
    rows = connection.execute(select(audit).order_by(audit.c.id.desc()).limit(limit)).mappings()
    return [dict(row) for row in rows]


def lock_period(connection: Connection, agreement_id: str, period: str) -> None:
    """Serialise computations of one agreement's period until the transaction ends, so two requests never
    both take the next revision number (the second then sees the first's revision and is refused)."""
    connection.execute(
        text("select pg_advisory_xact_lock(hashtext(:key))"), {"key": f"statement:{agreement_id}:{period}"}
    )


def lock_monitoring(connection: Connection) -> None:
    """Serialise uploads of monitoring results until the transaction ends: two uploads for the same day
    never both pass the conflict check."""
    connection.execute(text("select pg_advisory_xact_lock(hashtext('compensation:monitoring'))"))


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


def _document_path(*path: str) -> Any:
    return statements.c.document.cast(JSONB)[path]


@dataclass(frozen=True)
class ListedStatement:
    """A statement for lists: its row, and the result read from its stored (verified) document."""

    id: int
    agreement_id: str
    period: str
    revision: int
    agreement_version: int
    status: str
    input_sha256: str
    rule_sha256: str
    created_by: str
    created_at: datetime
    fiscal_year: int
    result: Result | None
    latest_revision: int

    @property
    def superseded(self) -> bool:
        return self.revision < self.latest_revision


def list_statements(
    connection: Connection,
    agreement_ids: Iterable[str],
    *,
    fiscal_year: int | None = None,
    status: str | None = None,
    include_superseded: bool = False,
    limit: int = 500,
) -> list[ListedStatement]:
    """Statements, newest period first; figures come from the documents, never from side columns."""
    keys = ("id", "agreement_id", "period", "revision", "agreement_version", "status")
    listed = (
        select(
            *(statements.c[k] for k in keys),
            statements.c.input_sha256,
            statements.c.rule_sha256,
            statements.c.created_by,
            statements.c.created_at,
            _document_path("period", "fiscal_year").astext.cast(Integer).label("fiscal_year"),
            _document_path("result").label("result"),
            func.max(statements.c.revision)
            .over(partition_by=(statements.c.agreement_id, statements.c.period))
            .label("latest_revision"),
        )
        .where(statements.c.agreement_id.in_(list(agreement_ids)))
        .subquery()
    )
    query = select(listed)
    if not include_superseded:
        query = query.where(listed.c.revision == listed.c.latest_revision)
    if fiscal_year is not None:
        query = query.where(listed.c.fiscal_year == fiscal_year)
    if status is not None:
        query = query.where(listed.c.status == status)
    query = query.order_by(listed.c.period.desc(), listed.c.agreement_id, listed.c.revision.desc()).limit(limit)
    return [
        ListedStatement(
            **{k: row[k] for k in (*keys, "input_sha256", "rule_sha256", "created_by", "created_at", "fiscal_year")},
            result=Result.model_validate(row["result"]) if row["result"] else None,
            latest_revision=row["latest_revision"],
        )
        for row in connection.execute(query).mappings()
    ]


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
    """Net amount of the latest revision of every earlier period, read from the stored documents."""
    newest = (
        select(statements.c.period, func.max(statements.c.revision).label("revision"))
        .where(statements.c.agreement_id == agreement_id, statements.c.period < period)
        .group_by(statements.c.period)
        .subquery()
    )
    amount = _document_path("result", "amount").astext.cast(Numeric)
    total = connection.execute(
        select(func.coalesce(func.sum(amount), 0))
        .join_from(
            statements, newest, and_(statements.c.period == newest.c.period, statements.c.revision == newest.c.revision)
        )
        .where(statements.c.agreement_id == agreement_id)
    ).scalar_one()
    return Decimal(total)
