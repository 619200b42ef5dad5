"""One compute cycle: today and yesterday always, plus the older days ingest queued as late data.

The queue is read with ``FOR UPDATE SKIP LOCKED`` (a second worker skips rows being handled) and a
row is deleted only if its ``modified_at`` is still the value read, so a bump that lands while we
compute survives for the next cycle.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

import structlog
from sqlalchemy import Connection, text

from services.alerts.context import Computation
from services.alerts.figures.air import compute_air
from services.alerts.figures.air_year import compute_air_kpis
from services.alerts.figures.comparison import compute_comparisons
from services.alerts.figures.completeness import compute_completeness, compute_station_status
from services.alerts.figures.hourly import refresh_hourly_values
from services.alerts.figures.station_hours import refresh_station_hours
from services.alerts.figures.waste import compute_waste_days
from services.alerts.figures.water import compute_eco_flow_days, compute_water_periods, tally_water_days
from services.alerts.periods import MAX_DAYS_PER_FIGURES_CHUNK, CalendarPeriod, chunks, months_of

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class QueuedDay:
    station: str
    day: date
    modified_at: datetime
    readings: int  # readings that changed; 0: restate only


@dataclass(frozen=True, slots=True)
class CycleReport:
    days: tuple[date, ...]
    queued: int
    rows_written: int


def claim_queue(connection: Connection) -> list[QueuedDay]:
    rows = connection.execute(
        text("select station, day, modified_at, readings from recompute_queue order by day for update skip locked")
    ).all()
    return [QueuedDay(*row) for row in rows]


def release_queue(connection: Connection, claimed: Iterable[QueuedDay]) -> None:
    entries = [{"station": q.station, "day": q.day, "modified_at": q.modified_at} for q in claimed]
    if entries:
        connection.execute(
            text("delete from recompute_queue where station = :station and day = :day and modified_at <= :modified_at"),
            entries,
        )


def derive_from_readings(job: Computation, days: Iterable[date]) -> int:
    """What only the readings and the programme decide, per day: the 1-hour values (also pivoted per
    station-hour), the water day tallies and completeness. Computed once when the readings of a day change, then
    shared by every figure."""
    written = 0
    for first, last in chunks(days):
        written += refresh_hourly_values(job, first, last)
        written += refresh_station_hours(job, first, last)
        written += tally_water_days(job, first, last)
        written += compute_completeness(job, first, last)
    return written


def recompute_days(job: Computation, days: Iterable[date], *, readings_changed: Iterable[date] | None = None) -> int:
    """Recompute the daily figures of ``days`` and every period figure they feed. The days of
    ``readings_changed`` (default: all of ``days``) are first derived anew from their readings; the others are
    restated from what was derived before, as a rule or setting change needs."""
    days = sorted(set(days))
    written = derive_from_readings(job, days if readings_changed is None else readings_changed)
    for first, last in chunks(days, MAX_DAYS_PER_FIGURES_CHUNK):
        written += compute_air(job, first, last)
        written += compute_eco_flow_days(job, first, last)
        written += compute_waste_days(job, first, last)
    years = {d.year for d in days} | {job.today.year}
    periods = months_of([*days, job.today]) | {CalendarPeriod(year) for year in years}
    written += compute_water_periods(job, periods)
    written += compute_comparisons(job, periods)
    written += compute_air_kpis(job, years)
    written += compute_station_status(job)
    return written


def run_cycle(job: Computation) -> CycleReport:
    """Recompute inside the caller's transaction (``job.connection``), then release the queue rows."""
    claimed = claim_queue(job.connection)
    regular = {job.today, job.yesterday}
    days = regular | {q.day for q in claimed if q.day <= job.today}
    # A queue row without readings asks only for a restatement (a rule or setting changed).
    changed = regular | {q.day for q in claimed if q.day <= job.today and q.readings}
    written = recompute_days(job, days, readings_changed=changed)
    release_queue(job.connection, claimed)
    log.info("recomputed", days=len(days), queued=len(claimed), rows_written=written)
    return CycleReport(tuple(sorted(days)), len(claimed), written)
