"""Readings for compensation tests: a station's automatic values on its programme's grid, made in SQL."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import Engine, text

from services.standards.local_time import day_start

AUTOMATIC_SOURCE = "hj212"


def store_automatic(
    engine: Engine,
    station: str,
    first_day: date,
    last_day: date,
    levels: dict[str, float],
    *,
    interval: timedelta = timedelta(hours=4),
    every_nth_missing: int | None = None,
) -> int:
    """Valid automatic readings of each parameter every ``interval`` from 00:00 of ``first_day`` to the end
    of ``last_day`` (Beijing time), each within ±5 % of its level; every n-th report left out if asked."""
    start, end = day_start(first_day), day_start(last_day + timedelta(days=1))
    skip = "and (extract(epoch from t)::bigint / :step_seconds) % :nth <> 0" if every_nth_missing else ""
    stored = 0
    with engine.begin() as connection:
        for parameter, level in levels.items():
            stored += connection.execute(
                text(f"""
                    insert into readings (time, station, parameter, value, flag, source)
                    select t, :station, :parameter,
                           round((:level * (0.95 + 0.1 * ((extract(epoch from t)::bigint / :step_seconds) % 7) / 6.0))
                                 ::numeric, 4)::float8,
                           'N', :source
                    from generate_series(cast(:start as timestamptz), cast(:end as timestamptz) - :step, :step) as t
                    where true {skip}
                """),
                {
                    "station": station,
                    "parameter": parameter,
                    "level": level,
                    "start": start,
                    "end": end,
                    "step": interval,
                    "step_seconds": int(interval.total_seconds()),
                    "nth": every_nth_missing or 1,
                    "source": AUTOMATIC_SOURCE,
                },
            ).rowcount
    return stored
