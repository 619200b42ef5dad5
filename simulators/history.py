"""How far back ``envmon simulate backfill`` goes by default, and why.

From 1 January of the previous calendar year (Beijing time): the previous year is then a complete
assessment period for every shipped compensation agreement, and this year's KPIs, the bad-day
budget and the PM2.5/O3 year-on-year comparisons have a whole year behind them. The assessment
sections of an agreement whose statement compares the period with the year before (a change
index) get that year as well, so their statement for the previous year settles too.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from services.compensation.agreements import Agreement
from services.standards.local_time import day_start, local_date
from services.storage.programmes import GRID_ORIGIN

# Programmes' report grids start here; nothing earlier can be simulated.
FIRST_DAY = local_date(GRID_ORIGIN)


@dataclass(frozen=True, slots=True)
class Backfill:
    """Every station from local day ``since``; ``earlier_stations`` from 1 January of the year before."""

    since: date
    earlier_stations: frozenset[str] = frozenset()

    @property
    def start(self) -> datetime:
        return day_start(self.since)

    @property
    def earlier_start(self) -> datetime:
        return day_start(date(self.since.year - 1, 1, 1))


def previous_year_start(now: datetime) -> date:
    """1 January of the previous calendar year, in Beijing time."""
    return date(local_date(now).year - 1, 1, 1)


def comparison_year_sections(agreements: Iterable[Agreement]) -> frozenset[str]:
    """Assessment sections of the agreements that compare a period with the year before."""
    return frozenset(
        section.code
        for agreement in agreements
        if agreement.needs_comparison_year()
        for section in agreement.assessment_sections
    )


def default_backfill(now: datetime, agreements: Iterable[Agreement]) -> Backfill:
    return Backfill(previous_year_start(now), comparison_year_sections(agreements))
