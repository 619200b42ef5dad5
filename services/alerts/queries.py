"""Read-side query classes (OpenAQ style): each parameter group validates itself and renders its own SQL.

A query class turns raw query parameters into a ``where`` fragment and named parameters, raising
``QueryError`` (→ HTTP 422) with a message naming the parameter. ``fetch`` composes fragments into
one readable SQL string per endpoint; there is no ORM on the read path.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy import Connection, text

from services.alerts.periods import CalendarPeriod
from services.alerts.rules.definitions import Severity
from services.alerts.rules.lifecycle import State

MAX_SERIES_DAYS = 5 * 366
MAX_ALERTS = 1000


class QueryError(ValueError):
    """A bad query parameter; ``parameter`` names it for the 422 response."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(message)
        self.parameter = parameter


class Fragment(Protocol):
    def where(self) -> list[str]: ...

    def params(self) -> dict[str, Any]: ...


@dataclass(frozen=True, slots=True)
class PeriodQuery:
    """``period=2026-10`` (a month) or ``period=2026`` (the year to date)."""

    period: CalendarPeriod

    @classmethod
    def parse(cls, value: str) -> PeriodQuery:
        try:
            return cls(CalendarPeriod.parse(value))
        except ValueError as error:
            raise QueryError("period", str(error)) from None

    def where(self) -> list[str]:
        return ["period = :period"]

    def params(self) -> dict[str, Any]:
        return {"period": self.period.key}


@dataclass(frozen=True, slots=True)
class YearQuery:
    year: int

    @classmethod
    def parse(cls, value: int) -> YearQuery:
        if not 1900 <= value <= 2999:
            raise QueryError("year", f"year {value} must be within 1900..2999")
        return cls(value)

    def where(self) -> list[str]:
        return ["year = :year"]

    def params(self) -> dict[str, Any]:
        return {"year": self.year}


@dataclass(frozen=True, slots=True)
class ColumnEquals:
    """An optional equality filter on one column (``None`` filters nothing)."""

    column: str
    value: str | None

    def where(self) -> list[str]:
        return [] if self.value is None else [f"{self.column} = :{self.column}"]

    def params(self) -> dict[str, Any]:
        return {} if self.value is None else {self.column: self.value}


@dataclass(frozen=True, slots=True)
class DayRange:
    first: date
    last: date

    @classmethod
    def parse(cls, first: date, last: date) -> DayRange:
        if first > last:
            raise QueryError("from", f"from {first} is after to {last}")
        if (last - first).days >= MAX_SERIES_DAYS:
            raise QueryError("to", f"a series spans at most {MAX_SERIES_DAYS} days")
        return cls(first, last)

    def where(self) -> list[str]:
        return ["day between :first and :last"]

    def params(self) -> dict[str, Any]:
        return {"first": self.first, "last": self.last}


@dataclass(frozen=True, slots=True)
class AlertFilter:
    state: str | None
    severity: str | None
    rule: str | None
    subject: str | None

    @classmethod
    def parse(cls, state: str | None, severity: str | None, rule: str | None, subject: str | None) -> AlertFilter:
        if state is not None and state not in {s.value for s in State}:
            raise QueryError("state", f"state {state!r} must be one of {', '.join(s.value for s in State)}")
        if severity is not None and severity not in {s.value for s in Severity}:
            raise QueryError("severity", f"severity {severity!r} must be one of {', '.join(s.value for s in Severity)}")
        return cls(state, severity, rule, subject)

    def _filters(self) -> list[ColumnEquals]:
        return [
            ColumnEquals("state", self.state),
            ColumnEquals("severity", self.severity),
            ColumnEquals("rule", self.rule),
            ColumnEquals("subject", self.subject),
        ]

    def where(self) -> list[str]:
        return [clause for f in self._filters() for clause in f.where()]

    def params(self) -> dict[str, Any]:
        return {k: v for f in self._filters() for k, v in f.params().items()}


def where_clause(fragments: Sequence[Fragment]) -> tuple[str, dict[str, Any]]:
    clauses = [clause for f in fragments for clause in f.where()]
    params = {k: v for f in fragments for k, v in f.params().items()}
    return (" where " + " and ".join(clauses)) if clauses else "", params


def plain(row: Mapping[Any, Any]) -> dict[str, Any]:
    """JSON-ready values: Decimals as strings (exact), dates and times in ISO 8601."""
    return {key: _plain_value(value) for key, value in row.items()}


def _plain_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


def fetch(
    connection: Connection,
    sql: str,
    fragments: Sequence[Fragment],
    suffix: str = "",
    extra: Mapping[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Run ``sql`` + where(fragments) + ``suffix``; rows as JSON-ready dicts."""
    where, params = where_clause(fragments)
    rows = connection.execute(text(sql + where + " " + suffix), {**params, **(extra or {})}).mappings()
    return [plain(row) for row in rows]
