"""Station programmes (监测方案): what each station measures, how often, and since when.

One programme period says: from local day ``valid_from`` (Beijing time) until the day before
``valid_to`` (exclusive; ``None`` = still in force), ``station`` reports ``parameter`` every
``interval``. Report times lie on a grid anchored at Beijing midnight (an interval divides a day
evenly), so a 4-hourly station is expected at 00:00, 04:00, …, 20:00 and a daily one at 00:00.
A parameter without a period covering a day is not measured that day: HJ 633—2026 §5.3's "/"
(not in the programme), never "missing".

The programme lives in ``services/storage/registry/programmes.yaml``; ``envmon db seed`` validates
it against the station registry and the parameter vocabulary and loads it into
``station_programmes``. Consumers read it back with :func:`load_programmes` (everything they need
for a computation, once) or the single questions :func:`expected_samples` and :func:`programme_on`.
The simulator reads the same file (:func:`read_programmes`), so the two cannot disagree.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from sqlalchemy import Connection, select, text

from services.standards.local_time import POSTGRES_ZONE, day_start, local_date
from services.standards.parameters import PARAMETERS, Kind
from services.storage.schema import recompute_queue, station_programmes

PROGRAMMES_FILE = "programmes.yaml"
DAY = timedelta(days=1)
SHORTEST_INTERVAL = timedelta(minutes=1)
# Any Beijing midnight anchors the report grid (every interval divides a day).
GRID_ORIGIN = day_start(date(2000, 1, 1))

_INTERVAL = re.compile(r"(?P<count>[1-9][0-9]*)\s*(?P<unit>min|h|d)")
_UNITS = {"min": timedelta(minutes=1), "h": timedelta(hours=1), "d": DAY}


class ProgrammeError(ValueError):
    """The programme file (or a programme row) breaks a rule; the message names the station and entry."""


def parse_interval(value: object) -> timedelta:
    """``15min``, ``1h``, ``4h`` or ``1d``: a reporting interval that divides a day evenly."""
    if isinstance(value, timedelta):
        interval = value
    else:
        match = _INTERVAL.fullmatch(str(value).strip())
        if match is None:
            raise ValueError(f"interval {value!r} must look like 15min, 1h, 4h or 1d")
        interval = int(match["count"]) * _UNITS[match["unit"]]
    check_interval(interval)
    return interval


def check_interval(interval: timedelta) -> None:
    if interval < SHORTEST_INTERVAL or interval > DAY or DAY % interval:
        raise ValueError(f"interval {format_interval(interval)} must divide a day evenly (1 minute … 1 day)")


def format_interval(interval: timedelta) -> str:
    for unit, size in (("d", DAY), ("h", _UNITS["h"]), ("min", _UNITS["min"])):
        if interval >= size and not interval % size:
            return f"{interval // size}{unit}"
    return str(interval)


def slots_between(interval: timedelta, start: datetime, end: datetime) -> int:
    """Report times of the ``interval`` grid in [start, end) (0 when end ≤ start)."""
    if end <= start:
        return 0
    return _grid_index(interval, end) - _grid_index(interval, start)


def _grid_index(interval: timedelta, moment: datetime) -> int:
    """How many grid points lie before ``moment`` (relative to the origin): ⌈(moment − origin) / interval⌉."""
    return -((GRID_ORIGIN - moment) // interval)


def grid_times(interval: timedelta, start: datetime, end: datetime) -> list[datetime]:
    """The report times themselves, in Beijing time."""
    first = _grid_index(interval, start)
    return [(GRID_ORIGIN + i * interval) for i in range(first, _grid_index(interval, end))] if end > start else []


@dataclass(frozen=True, slots=True)
class ProgrammePeriod:
    """One row of ``station_programmes``."""

    station: str
    parameter: str
    interval: timedelta
    valid_from: date
    valid_to: date | None = None  # exclusive

    def covers(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day < self.valid_to)

    @property
    def start(self) -> datetime:
        return day_start(self.valid_from)

    @property
    def end(self) -> datetime | None:
        return None if self.valid_to is None else day_start(self.valid_to)

    def window(self, start: datetime, end: datetime) -> tuple[datetime, datetime]:
        """[start, end) clipped to the period (may come out empty: end ≤ start)."""
        return max(start, self.start), end if self.end is None else min(end, self.end)


@dataclass(frozen=True)
class Programmes:
    """Every programme period of some stations, with the questions consumers ask of them (pure)."""

    periods: tuple[ProgrammePeriod, ...]
    _by_series: dict[tuple[str, str], list[ProgrammePeriod]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_series: dict[tuple[str, str], list[ProgrammePeriod]] = defaultdict(list)
        for period in self.periods:
            by_series[period.station, period.parameter].append(period)
        object.__setattr__(self, "_by_series", dict(by_series))

    def _series(self, station: str, parameter: str) -> list[ProgrammePeriod]:
        return self._by_series.get((station, parameter), [])

    @property
    def stations(self) -> tuple[str, ...]:
        return tuple(sorted({p.station for p in self.periods}))

    def of(self, station: str) -> tuple[ProgrammePeriod, ...]:
        return tuple(p for p in self.periods if p.station == station)

    def on(self, day: date) -> dict[str, dict[str, timedelta]]:
        """station → {parameter: interval} of the programme in force on local ``day``."""
        result: dict[str, dict[str, timedelta]] = {}
        for period in self.periods:
            if period.covers(day):
                result.setdefault(period.station, {})[period.parameter] = period.interval
        return result

    def interval(self, station: str, parameter: str, moment: datetime) -> timedelta | None:
        """The reporting interval of the series at ``moment``; None when not in the programme then."""
        day = local_date(moment)
        return next((p.interval for p in self._series(station, parameter) if p.covers(day)), None)

    def measures(self, station: str, parameter: str, day: date) -> bool:
        return any(p.covers(day) for p in self._series(station, parameter))

    def expected_samples(self, station: str, parameter: str, start: datetime, end: datetime) -> int:
        """Report times the programme expects of the series in [start, end)."""
        return sum(slots_between(p.interval, *p.window(start, end)) for p in self._series(station, parameter))

    def schedule(self, station: str, start: datetime, end: datetime) -> dict[datetime, tuple[str, ...]]:
        """Each report time of ``station`` in [start, end) with the parameters due then, in time order."""
        due: dict[datetime, list[str]] = defaultdict(list)
        for period in self.of(station):
            for moment in grid_times(period.interval, *period.window(start, end)):
                due[moment].append(period.parameter)
        return {moment: tuple(sorted(due[moment])) for moment in sorted(due)}


# ---- the registry file ------------------------------------------------------------------------------------


class ProgrammeEntry(BaseModel):
    """One entry of programmes.yaml: these parameters, every ``interval``, from ``from`` until ``until``."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    valid_from: date = Field(alias="from")
    valid_to: date | None = Field(default=None, alias="until")
    interval: Annotated[timedelta, BeforeValidator(parse_interval)]
    parameters: tuple[str, ...] = Field(min_length=1)


class ProgrammeFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    illustrative: bool = False
    # Named parameter lists the file reuses as YAML aliases; only the stations' entries count.
    parameter_sets: dict[str, list[str]] = {}
    stations: dict[str, list[ProgrammeEntry]]


def read_programme_file(directory: Path) -> ProgrammeFile:
    path = directory / PROGRAMMES_FILE
    try:
        with path.open(encoding="utf-8") as handle:
            return ProgrammeFile.model_validate(yaml.safe_load(handle))
    except ValidationError as error:
        raise ProgrammeError(f"{path}: {error}") from None


def _entry_periods(station: str, kind: Kind, number: int, entry: ProgrammeEntry) -> list[ProgrammePeriod]:
    where = f"programme of {station}, entry {number} (from {entry.valid_from})"
    if entry.valid_to is not None and entry.valid_to <= entry.valid_from:
        raise ProgrammeError(f"{where}: until {entry.valid_to} must be after from {entry.valid_from}")
    repeated = sorted({p for p in entry.parameters if entry.parameters.count(p) > 1})
    if repeated:
        raise ProgrammeError(f"{where}: parameters listed twice: {', '.join(repeated)}")
    wrong = [p for p in entry.parameters if p not in PARAMETERS or PARAMETERS[p].kind is not kind]
    if wrong:
        raise ProgrammeError(f"{where}: not {kind.value} parameters: {', '.join(wrong)}")
    return [ProgrammePeriod(station, p, entry.interval, entry.valid_from, entry.valid_to) for p in entry.parameters]


def check_no_overlap(periods: Iterable[ProgrammePeriod]) -> None:
    """A series (station, parameter) has at most one period on any day."""
    by_series: dict[tuple[str, str], list[ProgrammePeriod]] = defaultdict(list)
    for period in periods:
        by_series[period.station, period.parameter].append(period)
    for (station, parameter), series in by_series.items():
        ordered = sorted(series, key=lambda p: p.valid_from)
        for before, after in pairwise(ordered):
            if before.valid_to is None or before.valid_to > after.valid_from:
                until = "open-ended" if before.valid_to is None else f"until {before.valid_to}"
                raise ProgrammeError(
                    f"programme of {station}: {parameter} from {before.valid_from} ({until}) overlaps the period "
                    f"from {after.valid_from}"
                )


def programmes_from_file(programme_file: ProgrammeFile, station_kinds: Mapping[str, Kind]) -> Programmes:
    """Validate the file against the stations (code → kind): every station has a programme, only known
    stations and parameters of the station's kind, intervals dividing a day, no overlapping periods."""
    unknown = sorted(set(programme_file.stations) - set(station_kinds))
    if unknown:
        raise ProgrammeError(f"programmes for stations not in the registry: {', '.join(unknown)}")
    without = sorted(set(station_kinds) - set(programme_file.stations))
    if without:
        raise ProgrammeError(f"stations without a programme: {', '.join(without)}")
    periods = [
        period
        for station, entries in programme_file.stations.items()
        for number, entry in enumerate(entries, start=1)
        for period in _entry_periods(station, station_kinds[station], number, entry)
    ]
    check_no_overlap(periods)
    return Programmes(tuple(periods))


def read_programmes(directory: Path, station_kinds: Mapping[str, Kind]) -> Programmes:
    return programmes_from_file(read_programme_file(directory), station_kinds)


# ---- the database -----------------------------------------------------------------------------------------


# Each station's shortest reporting interval in force on local day :today (stations with none left out).
SHORTEST_INTERVAL_SQL = """
    select station, min(interval) as interval from station_programmes
    where valid_from <= :today and (valid_to is null or :today < valid_to)
    group by station
"""


def load_programmes(connection: Connection, stations: Collection[str] | None = None) -> Programmes:
    """The programme periods of ``stations`` (all when None), as stored by ``envmon db seed``."""
    query = select(station_programmes).order_by(
        station_programmes.c.station, station_programmes.c.parameter, station_programmes.c.valid_from
    )
    if stations is not None:
        query = query.where(station_programmes.c.station.in_(list(stations)))
    return Programmes(
        tuple(
            ProgrammePeriod(row.station, row.parameter, row.interval, row.valid_from, row.valid_to)
            for row in connection.execute(query)
        )
    )


def expected_samples(connection: Connection, station: str, parameter: str, start: datetime, end: datetime) -> int:
    """How many reports of ``parameter`` the programme expects of ``station`` in [start, end)."""
    return load_programmes(connection, [station]).expected_samples(station, parameter, start, end)


def programme_on(connection: Connection, day: date) -> dict[str, dict[str, timedelta]]:
    """station → {parameter: reporting interval} in force on local ``day`` (stations without one left out)."""
    return load_programmes(connection).on(day)


def _row(period: ProgrammePeriod) -> dict[str, Any]:
    return {
        "station": period.station,
        "parameter": period.parameter,
        "interval": period.interval,
        "valid_from": period.valid_from,
        "valid_to": period.valid_to,
    }


def _changed_span(old: Iterable[ProgrammePeriod], new: Iterable[ProgrammePeriod], today: date) -> tuple[date, date]:
    """First and last local day on which two versions of a station's programme may differ."""
    differing = set(old) ^ set(new)
    first = min(p.valid_from for p in differing)
    last = max(today if p.valid_to is None else min(p.valid_to - DAY, today) for p in differing)
    return first, last


def store_programmes(connection: Connection, programmes: Programmes, today: date) -> int:
    """Replace the stored programme of every station in ``programmes``; days whose programme changed and
    that hold readings are queued for recompute (completeness, silence and AQI depend on the programme)."""
    stations = programmes.stations
    stored = load_programmes(connection, stations)
    changed = {
        s: _changed_span(stored.of(s), programmes.of(s), today)
        for s in stations
        if set(stored.of(s)) != set(programmes.of(s))
    }
    connection.execute(station_programmes.delete().where(station_programmes.c.station.in_(stations)))
    if programmes.periods:
        connection.execute(station_programmes.insert(), [_row(p) for p in programmes.periods])
    for station, (first, last) in changed.items():
        _queue_days_with_readings(connection, station, first, last)
    return len(programmes.periods)


_QUEUE_DAYS_SQL = f"""
    insert into {recompute_queue.name} as queue (station, day, modified_at, readings)
    select :station, day::date, now(), 1
    from generate_series(
        greatest(cast(:first as timestamp),
                 (select min(time) from readings where station = :station) at time zone :zone)::date,
        cast(:last as timestamp), interval '1 day') day
    where exists (select from readings where station = :station)
    on conflict (station, day) do update
        set modified_at = excluded.modified_at, readings = greatest(queue.readings, 1)
"""


def _queue_days_with_readings(connection: Connection, station: str, first: date, last: date) -> None:
    connection.execute(text(_QUEUE_DAYS_SQL), {"station": station, "first": first, "last": last, "zone": POSTGRES_ZONE})
