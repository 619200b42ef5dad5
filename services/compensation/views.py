"""A stored statement as the API, pages and exports read it: row, sign-off events, document."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from sqlalchemy import Connection

from services.compensation import repository
from services.compensation.document import StatementDocument, read_stored
from services.compensation.publish import published
from services.compensation.sheet import Sheet, build
from services.standards.reporting import PrecisionTable


@dataclass(frozen=True)
class StatementView:
    row: dict[str, Any]
    events: list[dict[str, Any]]
    latest_revision: int

    @cached_property
    def document(self) -> StatementDocument:
        """The stored document, exact, as verify compares it; UnreadableDocument (409) says why it cannot be read."""
        return read_stored(self.row["document"])

    def published(self, table: PrecisionTable) -> StatementDocument:
        return published(self.document, table)

    def sheet(self, table: PrecisionTable) -> Sheet:
        return build(self.row, self.events, self.published(table), self.latest_revision)

    @property
    def superseded_by(self) -> int | None:
        return self.latest_revision if self.latest_revision > self.row["revision"] else None

    @property
    def filename(self) -> str:
        return f"statement-{self.row['agreement_id']}-{self.row['period']}-r{self.row['revision']}"


def load(connection: Connection, statement_id: int) -> StatementView:
    row = repository.statement(connection, statement_id)
    latest = repository.latest_revision(connection, row["agreement_id"], row["period"])
    return StatementView(row, repository.events(connection, statement_id), latest["revision"] if latest else 1)
