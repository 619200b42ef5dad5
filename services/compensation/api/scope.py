"""What a principal may see: agreements of its parties (all, for city-level principals); others are 404."""

from __future__ import annotations

from sqlalchemy import Connection

from services.compensation import repository, views
from services.compensation.access import Principal
from services.compensation.repository import NotFound, StoredAgreement
from services.compensation.views import StatementView


def visible_agreement(
    connection: Connection, principal: Principal, agreement_id: str, version: int | None = None
) -> StoredAgreement:
    stored = repository.agreement_version(connection, agreement_id, version)
    if not principal.sees(stored.agreement):
        raise NotFound(f"unknown agreement {agreement_id!r}")  # never reveal agreements out of scope
    return stored


def visible_agreement_ids(connection: Connection, principal: Principal) -> list[str]:
    return [s.agreement.id for s in repository.latest_agreements(connection) if principal.sees(s.agreement)]


def visible_statement(connection: Connection, principal: Principal, statement_id: int) -> StatementView:
    view = views.load(connection, statement_id)
    try:
        visible_agreement(connection, principal, view.row["agreement_id"])
    except NotFound:
        raise NotFound(f"unknown statement {statement_id}") from None
    return view
