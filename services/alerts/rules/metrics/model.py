"""What a metric is: a read over the computed tables that gives, per subject and period, a value to compare
and the words that explain it.

An :class:`Observation` carries the number a rule compares (``value``, exact) and what a duty officer
reads: the measured figure at reporting precision (``shown``), the subject's own target where it has
one (a section's target class), a ``description`` naming the cause, and the API query that shows it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from types import MappingProxyType

from sqlalchemy import Connection

from services.alerts.context import Computation
from services.alerts.rules.definitions import DEFAULT_HEAVY_POLLUTION, HeavyPollution
from services.alerts.rules.windows import PeriodKind, RulePeriod, evaluated, label
from services.standards import water
from services.standards.reporting import DEFAULT_TABLE, PrecisionTable


@dataclass(frozen=True, slots=True)
class Observation:
    subject: str
    period: str
    value: Decimal
    shown: str
    description: str
    target: str | None = None  # the subject's own target; otherwise the rule's threshold is shown
    api_path: str | None = None  # e.g. /v1/water/classes?period=2026&section=XXJ-YANGXUN
    as_of: date | None = None  # the last day the figure includes, for a running period
    extra: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))  # more annotations
    labels: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))  # more labels (e.g. parties)


@dataclass(frozen=True)
class MetricContext:
    """Everything a metric's read needs besides the database."""

    now: datetime
    today: date
    city: str
    share_control_levels: tuple[str, ...] = ("national", "provincial")
    flag_window: timedelta = timedelta(hours=3)
    heavy_pollution: HeavyPollution = DEFAULT_HEAVY_POLLUTION
    precision: PrecisionTable = DEFAULT_TABLE
    water_class_basis: water.ClassBasis = water.DEFAULT_CLASS_BASIS

    @property
    def class_basis(self) -> water.Basis:
        """The basis the stored water classes were decided on, with the precisions alerts print."""
        return water.Basis(self.water_class_basis, self.precision)

    @classmethod
    def of(
        cls,
        job: Computation,
        *,
        flag_window: timedelta = timedelta(hours=3),
        heavy_pollution: HeavyPollution = DEFAULT_HEAVY_POLLUTION,
        precision: PrecisionTable = DEFAULT_TABLE,
    ) -> MetricContext:
        """The context of a recompute cycle (its clock, city and share sections)."""
        return cls(
            now=job.now,
            today=job.today,
            city=job.registry.city,
            share_control_levels=job.share_control_levels,
            flag_window=flag_window,
            heavy_pollution=heavy_pollution,
            precision=precision,
            water_class_basis=job.water_class_basis.kind,
        )

    def periods(self, kind: PeriodKind) -> tuple[RulePeriod, ...]:
        return evaluated(kind, self.today)

    def period(self, kind: PeriodKind) -> RulePeriod:
        """The one period of a year, day or current metric (a month metric has two: see ``periods``)."""
        return self.periods(kind)[0]

    def label(self, period: RulePeriod, as_of: date | None = None) -> str:
        return label(period, self.now, as_of)


Read = Callable[[Connection, MetricContext], Iterable[Observation]]
# How a rule's threshold on this metric is written, e.g. Decimal("0.9") → "90.0 %".
Threshold = Callable[[PrecisionTable, Decimal], str]


@dataclass(frozen=True)
class Metric:
    name: str
    period_kind: PeriodKind
    meaning: str  # what the value is, in the runbook's words
    read: Read
    # None when every observation brings its own target.
    threshold: Threshold | None = None


@dataclass(frozen=True)
class Reading:
    """One metric's observations this cycle and the periods it evaluated."""

    periods: tuple[RulePeriod, ...]
    observations: tuple[Observation, ...]

    def period(self, key: str) -> RulePeriod | None:
        return next((p for p in self.periods if p.key == key), None)
