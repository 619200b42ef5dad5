"""Read-side query classes (OpenAQ style): each parameter group validates itself and renders its own SQL.

A query class turns validated parameters (``params``) into a ``where`` fragment and named
parameters; what a schema cannot say (a month 13, ``from`` after ``to``) raises ``QueryError``
(→ HTTP 422) with a message naming the parameter. ``fetch`` composes fragments into one readable
SQL string per endpoint and returns the rows as they are (exact Decimals); the routes publish them.
There is no ORM on the read path.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from sqlalchemy import Connection, text

from services.alerts.periods import CalendarPeriod
from services.alerts.rules.definitions import Severity
from services.alerts.rules.lifecycle import State

MAX_SERIES_DAYS = 5 * 366
MAX_ALERTS = 1000


class QueryError(Exception):
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
class MonthsQuery:
    """``period=2026-10`` (that month's rows) or ``period=2026`` (every month of the year) on a monthly table."""

    period: CalendarPeriod

    @classmethod
    def parse(cls, value: str) -> MonthsQuery:
        return cls(PeriodQuery.parse(value).period)

    def where(self) -> list[str]:
        return ["period like :months"]

    def params(self) -> dict[str, Any]:
        return {"months": self.period.key if self.period.month is not None else f"{self.period.key}-%"}


@dataclass(frozen=True, slots=True)
class YearQuery:
    year: int

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
    state: State | None
    severity: Severity | None
    rule: str | None
    subject: str | None
    period: str | None = None

    def _filters(self) -> list[ColumnEquals]:
        return [
            ColumnEquals("state", None if self.state is None else self.state.value),
            ColumnEquals("severity", None if self.severity is None else self.severity.value),
            ColumnEquals("rule", self.rule),
            ColumnEquals("subject", self.subject),
            ColumnEquals("period", self.period),
        ]

    def where(self) -> list[str]:
        return [clause for f in self._filters() for clause in f.where()]

    def params(self) -> dict[str, Any]:
        return {k: v for f in self._filters() for k, v in f.params().items()}


def where_clause(fragments: Sequence[Fragment]) -> tuple[str, dict[str, Any]]:
    clauses = [clause for f in fragments for clause in f.where()]
    params = {k: v for f in fragments for k, v in f.params().items()}
    return (" where " + " and ".join(clauses)) if clauses else "", params


def fetch(
    connection: Connection,
    sql: str,
    fragments: Sequence[Fragment],
    suffix: str = "",
    extra: Mapping[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Run ``sql`` + where(fragments) + ``suffix``; rows as dicts of their database values."""
    where, params = where_clause(fragments)
    rows = connection.execute(text(sql + where + " " + suffix), {**params, **(extra or {})}).mappings()
    return [dict(row) for row in rows]
