"""The history of monitoring uploads, and the withdrawal of a wrong one (撤回) with its reason.

A bureau principal withdraws a whole upload when every result in it was sampled with its party (a
city-level principal: any upload it sees, as it may upload any). The upload and its results stay, marked
withdrawn with who, when and why; their readings are deleted, so from then on nothing counts them: a
statement computed or recalculated afterwards differs, its input hash changes, and ``verify`` reports a
statement computed before as no longer matching today's readings, as it does for late data. The days go to
the recompute queue for the KPIs. The corrected results can then be uploaded again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, Connection, Text, cast, func, select, true, tuple_, update
from sqlalchemy.dialects.postgresql import ARRAY

from services.compensation import repository
from services.compensation.access import Forbidden, Principal, StateConflict
from services.compensation.repository import NotFound
from services.compensation.tables import monitoring_results, monitoring_uploads
from services.compensation.uploads import UPLOAD_ROLES, queue_days
from services.standards.local_time import BEIJING_TIME
from services.storage.schema import readings


@dataclass(frozen=True)
class UploadEntry:
    """One upload as its history shows it: what it holds, and whether (and why) it was withdrawn."""

    id: int
    uploaded_by: str
    uploaded_at: datetime
    filename: str | None
    results: int
    sections: list[str]
    tiers: list[str]
    first_day: date
    last_day: date
    withdrawn_at: datetime | None
    withdrawn_by: str | None
    withdrawal_reason: str | None
    withdrawable: bool  # by the principal the history was read for


@dataclass(frozen=True)
class Withdrawal:
    upload_id: int
    results: int
    withdrawn_by: str
    withdrawn_at: datetime
    reason: str


def _sampled_with(principal: Principal) -> ColumnElement[bool]:
    """Whether a result was sampled with one of the principal's parties (always, for a city-level one)."""
    if not principal.parties:
        return true()
    overlaps: ColumnElement[bool] = monitoring_results.c.sampling_parties.overlap(
        cast(sorted(principal.parties), ARRAY(Text))
    )
    return overlaps


def history(connection: Connection, principal: Principal, sections: Iterable[str], limit: int) -> list[UploadEntry]:
    """The latest uploads with a result at one of ``sections``, newest first, withdrawn ones included."""
    may_withdraw = principal.role in UPLOAD_ROLES
    query = (
        select(
            monitoring_uploads,
            func.array_agg(monitoring_results.c.station.distinct()).label("sections"),
            func.array_agg(monitoring_results.c.tier.distinct()).label("tiers"),
            func.min(monitoring_results.c.sampled_on).label("first_day"),
            func.max(monitoring_results.c.sampled_on).label("last_day"),
            func.bool_and(_sampled_with(principal)).label("sampled_with"),
        )
        .join(monitoring_results, monitoring_results.c.upload_id == monitoring_uploads.c.id)
        .group_by(monitoring_uploads.c.id)
        .having(func.bool_or(monitoring_results.c.station.in_(list(sections))))
        .order_by(monitoring_uploads.c.id.desc())
        .limit(limit)
    )
    return [
        UploadEntry(
            id=row.id,
            uploaded_by=row.uploaded_by,
            uploaded_at=row.uploaded_at,
            filename=row.filename,
            results=row.results,
            sections=sorted(row.sections),
            tiers=sorted(row.tiers),
            first_day=row.first_day,
            last_day=row.last_day,
            withdrawn_at=row.withdrawn_at,
            withdrawn_by=row.withdrawn_by,
            withdrawal_reason=row.withdrawal_reason,
            withdrawable=may_withdraw and row.withdrawn_at is None and bool(row.sampled_with),
        )
        for row in connection.execute(query)
    ]


def withdraw(
    connection: Connection, principal: Principal, upload_id: int, sections: Iterable[str], reason: str
) -> Withdrawal:
    """Withdraw upload ``upload_id`` (one of ``sections``, those the principal sees): all of it or nothing."""
    principal.require(UPLOAD_ROLES, "withdraw monitoring results")
    repository.lock_monitoring(connection)
    upload = connection.execute(
        select(monitoring_uploads).where(monitoring_uploads.c.id == upload_id).with_for_update()
    ).one_or_none()
    results = connection.execute(
        select(monitoring_results, _sampled_with(principal).label("sampled_with")).where(
            monitoring_results.c.upload_id == upload_id
        )
    ).all()
    if upload is None or not {r.station for r in results} <= set(sections):
        raise NotFound(f"unknown upload {upload_id}")  # never reveal uploads out of scope
    if upload.withdrawn_at is not None:
        raise StateConflict(
            f"upload #{upload_id} was already withdrawn by {upload.withdrawn_by} "
            f"({upload.withdrawn_at.astimezone(BEIJING_TIME):%Y-%m-%d %H:%M}): {upload.withdrawal_reason}"
        )
    if others := [r for r in results if not r.sampled_with]:
        listed = "; ".join(
            f"{r.station} {r.parameter} {r.sampled_on} sampled by {'、'.join(r.sampling_parties)}" for r in others[:5]
        )
        raise Forbidden(
            f"upload #{upload_id}: your party ({'、'.join(sorted(principal.parties))}) did not take part in the "
            f"sampling of {len(others)} of its {len(results)} results ({listed}); only a sampling party withdraws them"
        )
    connection.execute(
        readings.delete().where(
            tuple_(readings.c.station, readings.c.parameter, readings.c.time, readings.c.source).in_(
                [(r.station, r.parameter, r.time, r.tier) for r in results]
            )
        )
    )
    connection.execute(
        update(monitoring_results).where(monitoring_results.c.upload_id == upload_id).values(withdrawn=True)
    )
    withdrawn_at = connection.execute(
        update(monitoring_uploads)
        .where(monitoring_uploads.c.id == upload_id)
        .values(withdrawn_at=func.now(), withdrawn_by=principal.name, withdrawal_reason=reason)
        .returning(monitoring_uploads.c.withdrawn_at)
    ).scalar_one()
    queue_days(connection, {(r.station, r.sampled_on) for r in results})
    repository.record_audit(
        connection,
        principal.name,
        "monitoring.withdraw",
        f"upload:{upload_id}",
        {
            "results": len(results),
            "reason": reason,
            "sections": sorted({r.station for r in results}),
            "days": sorted({r.sampled_on.isoformat() for r in results}),
        },
    )
    return Withdrawal(upload_id, len(results), principal.name, withdrawn_at, reason)
