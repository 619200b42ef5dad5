"""Station programmes changed for one test: a series reports at another interval, and the seeded programme
comes back afterwards."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta

from sqlalchemy import ColumnElement, Connection, Engine, and_, select

from services.storage.schema import station_programmes

SEEDED_FROM = date(2024, 1, 1)


def set_interval(
    connection: Connection, station: str, parameter: str, interval: timedelta, since: date = SEEDED_FROM
) -> None:
    """``station`` reports ``parameter`` every ``interval`` from ``since`` on (its other periods dropped)."""
    connection.execute(station_programmes.delete().where(_series(station, parameter)))
    connection.execute(
        station_programmes.insert().values(station=station, parameter=parameter, interval=interval, valid_from=since)
    )


@contextmanager
def programme_interval(engine: Engine, station: str, parameter: str, interval: timedelta) -> Iterator[None]:
    """The series reports every ``interval`` while the block runs (committed, so other connections see it)."""
    with engine.begin() as connection:
        saved = [
            dict(row)
            for row in connection.execute(select(station_programmes).where(_series(station, parameter))).mappings()
        ]
        set_interval(connection, station, parameter, interval)
    try:
        yield
    finally:
        with engine.begin() as connection:
            connection.execute(station_programmes.delete().where(_series(station, parameter)))
            if saved:
                connection.execute(station_programmes.insert(), saved)


def _series(station: str, parameter: str) -> ColumnElement[bool]:
    return and_(station_programmes.c.station == station, station_programmes.c.parameter == parameter)
