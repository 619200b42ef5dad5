"""Monthly sample summaries: the engine's only view of the readings.

The repository builds them in SQL; :func:`summarize` builds the same from raw rows (tests, tools).
A value enters at 15 significant digits, which is what PostgreSQL's ``float8::numeric`` cast keeps,
so both paths add exactly the same decimals.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from services.compensation.agreements import Exclusion

VALID_FLAG = "N"
DOUBLE_DIGITS = 15  # DBL_DIG: the digits PostgreSQL keeps when casting float8 to numeric


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
    """Readings of one station, parameter, Asia/Shanghai month, source and validity."""

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


def summarize(readings: Iterable[Reading], exclusions: Iterable[Exclusion], zone: ZoneInfo) -> tuple[Summary, ...]:
    spans = tuple(exclusions)
    groups: dict[tuple[str, str, str, str, bool], tuple[int, Decimal]] = {}
    for reading in readings:
        local = reading.time.astimezone(zone)
        if excluded(local.date(), spans):
            continue
        key = (
            reading.station,
            reading.parameter,
            f"{local.year:04d}-{local.month:02d}",
            reading.source,
            reading.flag == VALID_FLAG,
        )
        count, total = groups.get(key, (0, Decimal(0)))
        groups[key] = (count + 1, total + double_to_decimal(reading.value))
    return tuple(Summary(*key, count, total) for key, (count, total) in sorted(groups.items()))
