"""The inputs every computation of one cycle shares."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction

from sqlalchemy import Connection

from services.alerts.registry import Registry
from services.standards import validity, water, water_statistics
from services.standards.comparison import DEFAULT_TOLERANCES, ToleranceTable
from services.standards.local_time import POSTGRES_ZONE, day_end, day_start, local_date

# The service's clock: the cycle and the API ask it, so tests can run them at any moment.
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Computation:
    connection: Connection
    registry: Registry
    now: datetime
    share_control_levels: tuple[str, ...] = ("national", "provincial")
    # A station is silent this many of its programme's intervals after its last report was due.
    silent_after_intervals: int = 2
    # Good-day share the bad-day budget is counted against (the plan's 90 %).
    good_day_target: Fraction = validity.GOOD_DAY_TARGET
    # Valid daily values an annual (year-to-date, pro rata) PM2.5 mean or O3 percentile needs.
    completeness_rule: validity.CompletenessRule = validity.ANNUAL_RULE
    # Stations with a valid 1-hour value needed for a valid city hour of a pollutant.
    city_min_stations: int = 1
    # Minimum data of water daily and period values (2020 statistics rule, 环办〔2011〕22号; several [?]).
    water_minimums: water_statistics.Minimums = water_statistics.DEFAULT_MINIMUMS
    # How far two sources at a boundary section may differ per indicator (the comparison figures).
    tolerances: ToleranceTable = DEFAULT_TOLERANCES
    # The value a water period class is decided on, with the precisions the figures are published at.
    water_class_basis: water.Basis = water.DEFAULT_BASIS

    @property
    def today(self) -> date:
        return local_date(self.now)

    @property
    def yesterday(self) -> date:
        return self.today - timedelta(days=1)

    def bounds(self, first: date, last: date) -> dict[str, object]:
        """SQL parameters for the local days first..last inclusive."""
        return {
            "start": day_start(first),
            "end": day_end(last),
            "first": first,
            "last": last,
            "tz": POSTGRES_ZONE,
            "now": self.now,
        }
