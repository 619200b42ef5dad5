"""Assessment periods and calculation periods, in whole Beijing-time months.

Labels: ``2025`` (year), ``2025Q2`` (quarter), ``2025-03`` (month), and for custom spans the first
month, e.g. ``2024-10`` for October 2024 – September 2025.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from services.compensation.agreements import FIRST_YEAR, LAST_YEAR, Agreement, AssessmentPeriod
from services.standards.local_time import day_start

MONTHS_PER_YEAR = 12
MONTHS_PER_QUARTER = 3
# ASCII digits only: \d would also take ٢٠٢٦ and other Unicode digits
_LABELS = {
    "year": re.compile(r"^(?P<year>[0-9]{4})$"),
    "quarter": re.compile(r"^(?P<year>[0-9]{4})Q(?P<quarter>[1-4])$"),
    "month": re.compile(r"^(?P<year>[0-9]{4})-(?P<month>[0-9]{2})$"),
    "custom": re.compile(r"^(?P<year>[0-9]{4})-(?P<month>[0-9]{2})$"),
}
LABEL_PATTERN = r"^[0-9]{4}(Q[1-4]|-[0-9]{2})?$"  # any of the labels above


class PeriodError(ValueError):
    """A period label that does not fit the agreement."""


@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    @classmethod
    def from_label(cls, label: str) -> Month:
        """The month of a ``YYYY-MM`` label (already validated by its caller's pattern)."""
        year, month = label.split("-")
        return cls(int(year), int(month))

    @property
    def label(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def shifted(self, months: int) -> Month:
        index = self.year * MONTHS_PER_YEAR + self.month - 1 + months
        return Month(index // MONTHS_PER_YEAR, index % MONTHS_PER_YEAR + 1)

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    def start(self) -> datetime:
        """00:00 Beijing time on the month's first day."""
        return day_start(self.first_day)


@dataclass(frozen=True)
class StatementPeriod:
    """The whole months one statement settles: the agreement's assessment period named by ``label``."""

    label: str
    first: Month
    months: int

    @property
    def month_list(self) -> tuple[Month, ...]:
        return tuple(self.first.shifted(i) for i in range(self.months))

    @property
    def last(self) -> Month:
        return self.first.shifted(self.months - 1)

    @property
    def first_day(self) -> date:
        return self.first.first_day

    @property
    def last_day(self) -> date:
        return date.fromordinal(self.first.shifted(self.months).first_day.toordinal() - 1)

    @property
    def fiscal_year(self) -> int:
        """Settled in the fiscal year in which the period ends."""
        return self.last.year

    def year_before(self) -> StatementPeriod:
        return StatementPeriod(f"{self.label} (上年同期)", self.first.shifted(-MONTHS_PER_YEAR), self.months)


def parse_period(agreement: Agreement, label: str, *, check_term: bool = True) -> StatementPeriod:
    """The period a label names under the agreement, refused if malformed or (unless asked not to) outside
    the term."""
    spec: AssessmentPeriod = agreement.assessment_period
    match = _LABELS[spec.kind].match(label)
    if not match:
        examples = {"year": "2025", "quarter": "2025Q2", "month": "2025-03", "custom": f"2025-{spec.start_month:02d}"}
        raise PeriodError(f"period {label!r} is not a {spec.kind} label such as {examples[spec.kind]!r}")
    year = int(match["year"])
    if spec.kind == "quarter":
        first = Month(year, (int(match["quarter"]) - 1) * MONTHS_PER_QUARTER + 1)
    elif spec.kind in ("month", "custom"):
        month = int(match["month"])
        if not 1 <= month <= MONTHS_PER_YEAR:
            raise PeriodError(f"period {label!r} has no month {month}")
        first = Month(year, month)
        if spec.kind == "custom" and (month - spec.start_month) % MONTHS_PER_YEAR:
            raise PeriodError(f"periods of {agreement.id} start in month {spec.start_month}, not {month}")
    else:
        first = Month(year, spec.first_month)
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise PeriodError(f"period {label!r} is outside the years {FIRST_YEAR}–{LAST_YEAR}")
    period = StatementPeriod(label, first, spec.span_months)
    if (check_term and period.first_day < agreement.term.start) or period.last_day > agreement.term.end:
        raise PeriodError(
            f"period {label} ({period.first_day} – {period.last_day}) is outside the term of {agreement.id} "
            f"({agreement.term.start} – {agreement.term.end})"
        )
    return period


def calculation_periods(agreement: Agreement, period: StatementPeriod) -> tuple[tuple[str, tuple[Month, ...]], ...]:
    """The calculation periods (label, months) of an assessment period, per the agreement's granularity."""
    months = period.month_list
    if agreement.calculation_granularity == "month":
        return tuple((m.label, (m,)) for m in months)
    if agreement.calculation_granularity == "quarter":
        chunks = [months[i : i + MONTHS_PER_QUARTER] for i in range(0, len(months), MONTHS_PER_QUARTER)]
        return tuple((f"{chunk[0].label}..{chunk[-1].label}", tuple(chunk)) for chunk in chunks)
    return ((period.label, months),)
