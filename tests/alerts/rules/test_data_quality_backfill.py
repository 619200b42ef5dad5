"""Silence and completeness judge a station only once its figures for the judged day are up to date: while
a backfill is still landing (a recompute of that day or an older one queued), however long the recompute
takes on a slow machine, the station has no observation and no data-quality alert can start."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import Connection, Engine, text

from services.alerts.figures.recompute import run_cycle
from tests.support.alert_rules import metric_values
from tests.support.alerts import copy_readings, job, local, reading

pytestmark = pytest.mark.integration

STATION = "PYJ-ANHUA"  # a provincial water station reporting every 4 hours
YESTERDAY = date(2026, 11, 26)
NOW = local(YESTERDAY + timedelta(days=1), 10, 30)
METRICS = ("station.silent", "station.completeness_yesterday")


def queue(connection: Connection, day: date) -> None:
    """A late reading of ``day`` landing after the cycle claimed the queue, as during a backfill."""
    connection.execute(text("insert into recompute_queue (station, day) values (:s, :d)"), {"s": STATION, "d": day})


def judged(connection: Connection) -> dict[str, bool]:
    values = metric_values(connection, job(connection, NOW), METRICS)
    return {name: STATION in values[name] for name in METRICS}


@pytest.mark.parametrize(
    ("queued_day", "silence_judged", "completeness_judged"),
    [
        (None, True, True),
        (YESTERDAY - timedelta(days=300), False, False),  # the backfill is still in January
        (YESTERDAY, False, False),
        (NOW.date(), False, True),  # today's catch-up leaves yesterday's figures final
    ],
)
def test_a_station_is_judged_once_its_figures_are_up_to_date(
    alerts_db: Engine, queued_day: date | None, silence_judged: bool, completeness_judged: bool
) -> None:
    with alerts_db.begin() as connection:
        # one reading yesterday at midnight, then nothing: silent, and 1 of 6 expected values
        copy_readings(connection, [reading(STATION, "ph", local(YESTERDAY), 7.2)])
        run_cycle(job(connection, NOW))
        values = metric_values(connection, job(connection, NOW), METRICS)
        assert values["station.silent"][STATION] == 1
        assert values["station.completeness_yesterday"][STATION] < 1
        if queued_day is not None:
            queue(connection, queued_day)
        assert judged(connection) == {
            "station.silent": silence_judged,
            "station.completeness_yesterday": completeness_judged,
        }
