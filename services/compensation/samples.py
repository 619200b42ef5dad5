"""Monthly sample summaries (the engine's only view of the readings) and the byte form the input hash covers.

The repository builds both in SQL; :func:`summarize` and :func:`canonical_rows` build the same from raw
rows (tests, tools, auditors). A value enters the sums at 15 significant digits, which is what
PostgreSQL's ``float8::numeric`` cast keeps, so both paths add exactly the same decimals.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import product

from services.compensation.agreements import Exclusion
from services.standards.local_time import local

VALID_FLAG = "N"
DOUBLE_DIGITS = 15  # DBL_DIG: the digits PostgreSQL keeps when casting float8 to numeric
INPUT_HASH_FORMAT = "postgresql-copy-binary/1"  # named in every statement; see canonical_rows
COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)  # signature, flags, no header extension
COPY_TRAILER = struct.pack(">h", -1)
POSTGRES_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
ROW_FIELDS = 6


@dataclass(frozen=True)
class Reading:
    station: str
    parameter: str
    time: datetime
    value: float
    flag: str
    source: str


@dataclass(frozen=True)
class Summary:
    """Readings of one station, parameter, Beijing-time month, source and validity."""

    station: str
    parameter: str
    month: str  # YYYY-MM
    source: str
    valid: bool
    count: int
    total: Decimal


def double_to_decimal(value: float) -> Decimal:
    return Decimal(format(value, f".{DOUBLE_DIGITS}g"))


def excluded(day: date, exclusions: Iterable[Exclusion]) -> bool:
    return any(e.start <= day <= e.end for e in exclusions)


def summarize(readings: Iterable[Reading], exclusions: Iterable[Exclusion]) -> tuple[Summary, ...]:
    spans = tuple(exclusions)
    groups: dict[tuple[str, str, str, str, bool], tuple[int, Decimal]] = {}
    for reading in readings:
        moment = local(reading.time)
        if excluded(moment.date(), spans):
            continue
        key = (
            reading.station,
            reading.parameter,
            f"{moment.year:04d}-{moment.month:02d}",
            reading.source,
            reading.flag == VALID_FLAG,
        )
        count, total = groups.get(key, (0, Decimal(0)))
        groups[key] = (count + 1, total + double_to_decimal(reading.value))
    return tuple(Summary(*key, count, total) for key, (count, total) in sorted(groups.items()))


def _field(data: bytes) -> bytes:
    return struct.pack(">i", len(data)) + data


def _row(reading: Reading) -> bytes:
    microseconds = (reading.time - POSTGRES_EPOCH) // timedelta(microseconds=1)
    return struct.pack(">h", ROW_FIELDS) + b"".join(
        [
            _field(reading.station.encode()),
            _field(reading.parameter.encode()),
            _field(struct.pack(">q", microseconds)),
            _field(struct.pack(">d", reading.value)),
            _field(reading.flag.encode()),
            _field(reading.source.encode()),
        ]
    )


def canonical_rows(readings: Iterable[Reading], stations: Iterable[str], parameters: Iterable[str]) -> bytes:
    """The exact bytes a statement's input SHA-256 covers (format ``postgresql-copy-binary/1``).

    For each (station, parameter) of the window in code-point order, one PostgreSQL binary COPY stream
    of its rows ordered by time: header, then per row the field count 6 and each field as a big-endian
    int32 length and its bytes — station, parameter, flag and source in UTF-8, time as int64
    microseconds since 2000-01-01T00:00:00Z, value as the IEEE-754 double itself — then the trailer -1.
    """
    series: dict[tuple[str, str], list[Reading]] = {}
    for reading in readings:
        series.setdefault((reading.station, reading.parameter), []).append(reading)
    streams = []
    for key in sorted(product(stations, parameters)):
        rows = sorted(series.get(key, []), key=lambda r: r.time)
        streams.append(COPY_HEADER + b"".join(_row(r) for r in rows) + COPY_TRAILER)
    return b"".join(streams)


def input_sha256(readings: Iterable[Reading], stations: Iterable[str], parameters: Iterable[str]) -> str:
    return hashlib.sha256(canonical_rows(readings, stations, parameters)).hexdigest()
