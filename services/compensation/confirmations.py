"""Joint monthly confirmation of a boundary section's data (数据互认): each party confirms a month, audited.

A month of a section is its readings over the Beijing-time month: the section's own station and every
station another party runs at it (``stations.monitors_section``), every parameter, source and flag. The
first confirmation opens revision 1 and stores the SHA-256 of those rows (the statement's binary-COPY
digest, ``repository.rows_sha256``), so the confirmed data is frozen. When the rows change afterwards
(late data, a joint result uploaded later), the next confirmation opens a new revision with the new
hash, and every party must confirm that one again; until then the month shows as reopened.

The parties that must confirm a section are the parties of the agreements that list it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, insert, select, text

from services.compensation import repository
from services.compensation.access import Forbidden, Principal, Role, StateConflict
from services.compensation.periods import Month
from services.compensation.tables import month_confirmations, month_revisions
from services.standards.local_time import local_date

CONFIRM_ROLES = frozenset({Role.BUREAU})


@dataclass(frozen=True)
class MonthState:
    """Where a section's month stands: its latest revision, who confirmed it, and whether data changed since."""

    section: str
    month: str
    required: tuple[str, ...]  # party codes that must confirm
    revision: int | None  # None: nobody confirmed yet
    revision_sha256: str | None
    current_sha256: str
    confirmed_by: tuple[str, ...]  # parties that confirmed the latest revision
    confirmed_at: datetime | None  # when the last required party confirmed it

    @property
    def changed(self) -> bool:
        """Data arrived or changed after the latest revision was opened (a reopened month)."""
        return self.revision_sha256 is not None and self.revision_sha256 != self.current_sha256

    @property
    def confirmed(self) -> bool:
        """Every required party confirmed the latest revision, and the data is still what they confirmed."""
        return bool(self.required) and set(self.required) <= set(self.confirmed_by) and not self.changed

    @property
    def missing(self) -> tuple[str, ...]:
        if self.changed:
            return self.required
        return tuple(p for p in self.required if p not in self.confirmed_by)


def section_stations(connection: Connection, section: str) -> tuple[str, ...]:
    rows = connection.execute(
        text("select code from stations where code = :s or monitors_section = :s order by code"), {"s": section}
    )
    return tuple(rows.scalars())


def required_parties(connection: Connection, section: str) -> tuple[str, ...]:
    parties = {
        code
        for stored in repository.latest_agreements(connection)
        if any(s.code == section for s in stored.agreement.sections)
        for code in stored.agreement.party_codes
    }
    return tuple(sorted(parties))


def month_sha256(connection: Connection, section: str, month: Month) -> str:
    """The statement's row digest over every series the section's stations have in the month (none: the empty hash)."""
    stations = section_stations(connection, section)
    present = connection.execute(
        text(
            "select distinct parameter from readings where station = any(:stations) and time >= :start and time < :end"
        ),
        {"stations": list(stations), "start": month.start(), "end": month.shifted(1).start()},
    ).scalars()
    window = repository.ReadingsWindow(stations, tuple(sorted(present)), (month,))
    return repository.rows_sha256(connection, window)


def month_state(connection: Connection, section: str, month: Month) -> MonthState:
    latest = connection.execute(
        select(month_revisions.c.revision, month_revisions.c.readings_sha256)
        .where(month_revisions.c.section == section, month_revisions.c.month == month.label)
        .order_by(month_revisions.c.revision.desc())
        .limit(1)
    ).one_or_none()
    confirmed: list[tuple[str, datetime]] = []
    if latest is not None:
        confirmed = [
            (party, at)
            for party, at in connection.execute(
                select(month_confirmations.c.party, month_confirmations.c.confirmed_at)
                .where(
                    month_confirmations.c.section == section,
                    month_confirmations.c.month == month.label,
                    month_confirmations.c.revision == latest.revision,
                )
                .order_by(month_confirmations.c.party)
            )
        ]
    return MonthState(
        section=section,
        month=month.label,
        required=required_parties(connection, section),
        revision=None if latest is None else latest.revision,
        revision_sha256=None if latest is None else latest.readings_sha256,
        current_sha256=month_sha256(connection, section, month),
        confirmed_by=tuple(party for party, _ in confirmed),
        confirmed_at=max((at for _, at in confirmed), default=None),
    )


def confirm(
    connection: Connection, principal: Principal, section: str, month: Month, party: str, comment: str | None
) -> MonthState:
    """``party`` confirms ``section``'s ``month`` as it stands now; a change since the last revision opens a new one."""
    principal.require(CONFIRM_ROLES, "confirm a month of boundary data")
    if party not in principal.parties:
        raise Forbidden(f"{principal.name} does not act for party {party!r}")
    if month.shifted(1).first_day > local_date(datetime.now(UTC)):
        raise StateConflict(f"{month.label} has not ended yet; a month is confirmed once it is complete")
    # one confirmation at a time per section and month: the hash and the revision must not race
    connection.execute(text("select pg_advisory_xact_lock(hashtext(:key))"), {"key": f"month:{section}:{month.label}"})
    state = month_state(connection, section, month)
    if party not in state.required:
        raise Forbidden(f"party {party!r} is not a party to an agreement on section {section}")
    revision = state.revision
    if revision is None or state.changed:
        revision = (revision or 0) + 1
        connection.execute(
            insert(month_revisions).values(
                section=section,
                month=month.label,
                revision=revision,
                readings_sha256=state.current_sha256,
                required=list(state.required),
                opened_by=principal.name,
                reason="首次确认" if revision == 1 else "确认后数据有变化（补传或新增联合监测结果）",
            )
        )
    elif party in state.confirmed_by:
        raise StateConflict(f"{party} already confirmed {section} {month.label} (revision {revision})")
    connection.execute(
        insert(month_confirmations).values(
            section=section,
            month=month.label,
            revision=revision,
            party=party,
            confirmed_by=principal.name,
            comment=comment,
        )
    )
    repository.record_audit(
        connection,
        principal.name,
        "month.confirm",
        f"month:{section}:{month.label}",
        {"party": party, "revision": revision, "readings_sha256": state.current_sha256, "comment": comment},
    )
    return month_state(connection, section, month)


def boundary_sections(connection: Connection, parties: Iterable[str]) -> list[tuple[str, str]]:
    """(code, name) of the sections the agreements of ``parties`` list (every agreement's when empty)."""
    wanted = set(parties)
    codes = {
        s.code
        for stored in repository.latest_agreements(connection)
        if not wanted or wanted & stored.agreement.party_codes
        for s in stored.agreement.sections
    }
    rows = connection.execute(
        text("select code, name from stations where code = any(:codes) order by code"), {"codes": sorted(codes)}
    )
    return [(str(code), str(name)) for code, name in rows]


def month_states(connection: Connection, sections: Iterable[str], months: Iterable[Month]) -> list[MonthState]:
    return [month_state(connection, section, month) for section in sections for month in months]
