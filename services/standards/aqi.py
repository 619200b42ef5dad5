"""Air quality index per HJ 633-2012 and HJ 633—2026, chosen by date.

Sources:

- HJ 633—2026 (in force from 2026-03-01): Table 3 breakpoints, note (b) SO2 1-h above 800 → IAQI 200,
  note (c) O3 8-h above 800 → IAQI 300, 1-h PM uses the daily PM breakpoints, concentrations rounded
  with GB/T 8170 (whole µg/m³, CO to 0.1 mg/m³), IAQI and AQI rounded up, primary pollutant only when
  AQI > 50 (ties all listed), categories 1–50 … >300, and §5.3: with a pollutant missing the AQI is
  published only when the remaining pollutants give AQI > 100, otherwise it is NA.
- HJ 633-2012 (history, days before 2026-03-01): Table 1 breakpoints (PM10 24-h 150 and PM2.5 24-h 75 at
  IAQI 100), SO2 1-h above 800 → report the IAQI of the SO2 24-h mean instead, O3 8-h above 800 →
  report the IAQI of the O3 1-h value instead, seven daily items (adds the O3 daily maximum 1-h value).

Decisions on points the standards leave open (marked [?] where not verified against the official text):

- Version switch: a day uses HJ 633—2026 from 2026-03-01; an hour uses the Beijing-time date of
  the timestamp it is given (aware datetimes are converted; naive ones are rejected).
- HJ 633-2012 concentrations are rounded exactly as in 2026 (whole µg/m³, CO 0.1 mg/m³, half-even):
  that is the HJ 663-2013 reporting precision the 2012 daily figures were published with.
- HJ 633-2012 real-time PM: the standard never said how (it listed 24-h moving means). We apply the
  24-h breakpoints to the 1-hour value, as 2026 does, so the two versions differ only in the tables.
  Likewise the 2012 real-time report here uses the six 1-hour values (its O3 8-h moving mean and PM
  24-h moving means are not real-time inputs).
- HJ 633-2012 real-time SO2 above 800: the IAQI of an optional ``so2_24h`` input stands in; without
  it SO2 gets no IAQI and is listed in ``unrated``. O3 8-h above 800 (daily) takes the IAQI of
  ``o3_1h_max``; without it O3 8-h is ``unrated``.
- HJ 633-2012 with pollutants missing: the AQI is computed from what exists and the absent items are
  listed in ``missing`` (HJ 633-2012 has no NA rule).
- Above the top breakpoint (where no special rule applies) the IAQI is capped at 500 and the item is
  listed in ``capped`` so that an alert can be raised.
- An AQI of 0 (every concentration rounds to 0): HJ 633—2026 states the range as 1–500 and leaves
  0 undefined; we report 0 in level 1 (优) under both versions rather than invent an NA.
- HJ 633—2026 §5.3 "/" items (not in the station's programme) are passed as ``not_in_programme`` and
  do not count as missing; checking the standard's condition for that (never the primary pollutant of
  a 轻度污染-or-worse episode in three consecutive years) needs history and is the caller's job.
- Unknown keys, keys that are not items of the chosen version and period (``o3_1h_max`` on a 2026
  day, ``o3`` in a daily input) and negative concentrations raise ``ValueError``; ``None`` means missing.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from functools import lru_cache
from types import MappingProxyType

from services.standards.local_time import local_date
from services.standards.numbers import Number, ceil_to_int, to_decimal
from services.standards.reporting import CONCENTRATION, round_exact


class Standard(StrEnum):
    HJ_633_2012 = "HJ 633-2012"
    HJ_633_2026 = "HJ 633-2026"


SWITCH_DATE = date(2026, 3, 1)

# Canonical order of items; result tuples (primary, capped, missing) follow it.
CANONICAL_ORDER = ("pm25", "pm10", "so2", "no2", "co", "o3", "o3_8h", "o3_1h_max")

IAQI_STEPS = (0, 50, 100, 150, 200, 300, 400, 500)


def _column(*breakpoints: str) -> tuple[Decimal, ...]:
    return tuple(Decimal(b) for b in breakpoints)


# Breakpoint columns, aligned with IAQI_STEPS; a column stops where the table has a note instead.
_SHARED_COLUMNS = {
    "so2_24h": _column("0", "50", "150", "475", "800", "1600", "2100", "2620"),
    "so2_1h": _column("0", "150", "500", "650", "800"),
    "no2_24h": _column("0", "40", "80", "180", "280", "565", "750", "940"),
    "no2_1h": _column("0", "100", "200", "700", "1200", "2340", "3090", "3840"),
    "co_24h": _column("0", "2", "4", "14", "24", "36", "48", "60"),
    "co_1h": _column("0", "5", "10", "35", "60", "90", "120", "150"),
    "o3_8h": _column("0", "100", "160", "215", "265", "800"),
    "o3_1h": _column("0", "160", "200", "300", "400", "800", "1000", "1200"),
}

BREAKPOINTS: Mapping[Standard, Mapping[str, tuple[Decimal, ...]]] = MappingProxyType(
    {
        Standard.HJ_633_2012: MappingProxyType(
            {
                **_SHARED_COLUMNS,
                "pm10_24h": _column("0", "50", "150", "250", "350", "420", "500", "600"),
                "pm25_24h": _column("0", "35", "75", "115", "150", "250", "350", "500"),
            }
        ),
        Standard.HJ_633_2026: MappingProxyType(
            {
                **_SHARED_COLUMNS,
                "pm10_24h": _column("0", "50", "120", "250", "350", "420", "500", "600"),
                "pm25_24h": _column("0", "35", "60", "115", "150", "250", "350", "500"),
            }
        ),
    }
)


@dataclass(frozen=True, slots=True)
class AboveTopRule:
    """What a standard says for a concentration above a column's last breakpoint."""

    fixed_iaqi: int | None = None
    substitute: str | None = None  # input key whose IAQI is reported instead


ABOVE_TOP_RULES: Mapping[tuple[Standard, str], AboveTopRule] = MappingProxyType(
    {
        (Standard.HJ_633_2026, "so2_1h"): AboveTopRule(fixed_iaqi=200),
        (Standard.HJ_633_2026, "o3_8h"): AboveTopRule(fixed_iaqi=300),
        (Standard.HJ_633_2012, "so2_1h"): AboveTopRule(substitute="so2_24h"),
        (Standard.HJ_633_2012, "o3_8h"): AboveTopRule(substitute="o3_1h_max"),
    }
)

# Which breakpoint column each input key uses; PM has no 1-hour column, so hourly PM uses the daily one.
DAILY_COLUMNS: Mapping[str, str] = MappingProxyType(
    {
        "pm25": "pm25_24h",
        "pm10": "pm10_24h",
        "so2": "so2_24h",
        "no2": "no2_24h",
        "co": "co_24h",
        "o3_8h": "o3_8h",
        "o3_1h_max": "o3_1h",
    }
)
HOURLY_COLUMNS: Mapping[str, str] = MappingProxyType(
    {
        "pm25": "pm25_24h",
        "pm10": "pm10_24h",
        "so2": "so2_1h",
        "no2": "no2_1h",
        "co": "co_1h",
        "o3": "o3_1h",
        "so2_24h": "so2_24h",
    }
)

DAILY_ITEMS: Mapping[Standard, tuple[str, ...]] = MappingProxyType(
    {
        Standard.HJ_633_2012: ("pm25", "pm10", "so2", "no2", "co", "o3_8h", "o3_1h_max"),
        Standard.HJ_633_2026: ("pm25", "pm10", "so2", "no2", "co", "o3_8h"),
    }
)
HOURLY_ITEMS = ("pm25", "pm10", "so2", "no2", "co", "o3")
# Inputs that are not items but feed an above-top substitution.
HOURLY_AUXILIARY: Mapping[Standard, tuple[str, ...]] = MappingProxyType(
    {
        Standard.HJ_633_2012: ("so2_24h",),
        Standard.HJ_633_2026: (),
    }
)

PRIMARY_POLLUTANT_ABOVE = 50

# An incomplete 2026 report is published only above this AQI (HJ 633—2026 §5.3).
NA_UNLESS_ABOVE: Mapping[Standard, int | None] = MappingProxyType(
    {
        Standard.HJ_633_2012: None,
        Standard.HJ_633_2026: 100,
    }
)


@dataclass(frozen=True, slots=True)
class Category:
    level: int
    level_name: str
    name: str
    colour_name: str
    colour: tuple[int, int, int]
    upper: int | None  # highest AQI in the band; None for the open top band

    @property
    def colour_hex(self) -> str:
        return "#{:02X}{:02X}{:02X}".format(*self.colour)


CATEGORIES = (
    Category(1, "一级", "优", "绿", (0, 228, 0), 50),
    Category(2, "二级", "良", "黄", (255, 255, 0), 100),
    Category(3, "三级", "轻度污染", "橙", (255, 126, 0), 150),
    Category(4, "四级", "中度污染", "红", (255, 0, 0), 200),
    Category(5, "五级", "重度污染", "紫", (153, 0, 76), 300),
    Category(6, "六级", "严重污染", "褐红", (126, 0, 35), None),
)


def category_for(aqi_value: int) -> Category:
    """The band of an AQI; 0 falls in level 1 under both versions (see module notes)."""
    if aqi_value < 0:
        raise ValueError(f"AQI cannot be negative: {aqi_value}")
    return next(c for c in CATEGORIES if c.upper is None or aqi_value <= c.upper)


def standard_for(moment: date) -> Standard:
    """HJ 633—2026 from 2026-03-01 on, HJ 633-2012 before.

    A ``datetime`` must be timezone-aware; its Beijing-time date decides.
    """
    if isinstance(moment, datetime):
        moment = local_date(moment)
    return Standard.HJ_633_2026 if moment >= SWITCH_DATE else Standard.HJ_633_2012


def items_for(standard: Standard | str, *, hourly: bool) -> tuple[str, ...]:
    """The items one report of this version and period expects."""
    return HOURLY_ITEMS if hourly else DAILY_ITEMS[Standard(standard)]


@dataclass(frozen=True, slots=True)
class SubIndex:
    """One pollutant's IAQI from one concentration."""

    value: int | None  # None: the standard gives none here, use ``substitute``'s IAQI
    concentration: Decimal  # rounded, as used
    capped: bool = False
    substitute: str | None = None


def round_concentration(code: str, concentration: Number) -> Decimal:
    """GB/T 8170 half-even rounding to the reporting precision; negatives are rejected."""
    value = to_decimal(concentration)
    if value < 0:
        raise ValueError(f"negative concentration for {code}: {concentration!r}")
    # o3_8h, o3_1h_max and so2_24h are published like their pollutant (services.standards.reporting)
    return round_exact(value, CONCENTRATION[code.partition("_")[0]])


def sub_index(code: str, concentration: Number, *, standard: Standard | str, hourly: bool) -> SubIndex:
    """The IAQI of one input key, with the above-top rules of ``standard`` applied."""
    columns = HOURLY_COLUMNS if hourly else DAILY_COLUMNS
    if code not in columns:
        raise ValueError(f"{code!r} is not a {'1-hour' if hourly else 'daily'} AQI input")
    version = standard if isinstance(standard, Standard) else Standard(standard)
    return _rounded_sub_index(version, columns[code], round_concentration(code, concentration))


@lru_cache(maxsize=65536)
def _rounded_sub_index(version: Standard, column: str, rounded: Decimal) -> SubIndex:
    # Cached: a pure function of few distinct inputs (rounded concentrations), called for every hour of a year.
    breakpoints = BREAKPOINTS[version][column]
    if rounded > breakpoints[-1]:
        rule = ABOVE_TOP_RULES.get((version, column))
        if rule is None:
            return SubIndex(IAQI_STEPS[-1], rounded, capped=True)
        return SubIndex(rule.fixed_iaqi, rounded, substitute=rule.substitute)
    upper = next(i for i in range(1, len(breakpoints)) if rounded <= breakpoints[i])
    low, high = breakpoints[upper - 1], breakpoints[upper]
    iaqi_low, iaqi_high = IAQI_STEPS[upper - 1], IAQI_STEPS[upper]
    exact = Fraction(iaqi_high - iaqi_low) * Fraction(rounded - low) / Fraction(high - low) + iaqi_low
    return SubIndex(ceil_to_int(exact), rounded)


def iaqi(code: str, concentration: Number, *, standard: Standard | str, hourly: bool = False) -> int | None:
    """The IAQI as an integer, or None where HJ 633-2012 reports a substitute's IAQI instead."""
    return sub_index(code, concentration, standard=standard, hourly=hourly).value


@dataclass(frozen=True, slots=True)
class AQIResult:
    standard: Standard
    hourly: bool
    aqi: int | None  # None is NA
    level: int | None
    category: str | None
    colour: tuple[int, int, int] | None
    primary: tuple[str, ...]
    iaqi: Mapping[str, int]
    concentrations: Mapping[str, Decimal]  # rounded, every key given
    capped: tuple[str, ...]
    missing: tuple[str, ...]  # expected items not given (items not in the programme excluded)
    substituted: Mapping[str, str]  # item -> input key whose IAQI it reports
    unrated: tuple[str, ...]  # given items without an IAQI (2012 substitute absent)

    @property
    def colour_hex(self) -> str | None:
        return None if self.aqi is None else category_for(self.aqi).colour_hex


def daily_aqi(
    concentrations: Mapping[str, Number | None], day: date, *, not_in_programme: Collection[str] = ()
) -> AQIResult:
    """Daily AQI from daily means (and MDA8; plus the O3 daily max 1-h value before 2026-03-01)."""
    return _evaluate(concentrations, standard_for(day), hourly=False, not_in_programme=not_in_programme)


def hourly_aqi(
    concentrations: Mapping[str, Number | None], hour: datetime, *, not_in_programme: Collection[str] = ()
) -> AQIResult:
    """Real-time AQI from 1-hour values; ``hour`` must be timezone-aware."""
    if not isinstance(hour, datetime):
        raise TypeError(f"hour must be a datetime, got {hour!r}")
    return _evaluate(concentrations, standard_for(hour), hourly=True, not_in_programme=not_in_programme)


def _ordered(codes: set[str]) -> tuple[str, ...]:
    return tuple(code for code in CANONICAL_ORDER if code in codes) + tuple(sorted(codes - set(CANONICAL_ORDER)))


def _evaluate(
    concentrations: Mapping[str, Number | None],
    standard: Standard,
    *,
    hourly: bool,
    not_in_programme: Collection[str],
) -> AQIResult:
    items = items_for(standard, hourly=hourly)
    accepted = items + (HOURLY_AUXILIARY[standard] if hourly else ())
    unknown = (set(concentrations) | set(not_in_programme)) - set(accepted)
    if unknown:
        raise ValueError(f"not {standard} {'1-hour' if hourly else 'daily'} inputs: {sorted(unknown)}")
    given = {
        code: sub_index(code, value, standard=standard, hourly=hourly)
        for code, value in concentrations.items()
        if value is not None
    }

    iaqis: dict[str, int] = {}
    substituted: dict[str, str] = {}
    for code in (code for code in items if code in given):
        own = given[code]
        if own.value is not None:
            iaqis[code] = own.value
        elif own.substitute is not None and own.substitute in given:
            # The substitute's own column has no above-top rule, so it always has a value.
            stand_in_value = given[own.substitute].value
            assert stand_in_value is not None
            iaqis[code] = stand_in_value
            substituted[code] = own.substitute
    missing = tuple(code for code in items if code not in given and code not in not_in_programme)
    unrated = tuple(code for code in items if code in given and code not in iaqis)

    aqi_value = max(iaqis.values()) if iaqis else None
    threshold = NA_UNLESS_ABOVE[standard]
    incomplete = bool(missing or unrated)
    if aqi_value is not None and threshold is not None and incomplete and aqi_value <= threshold:
        aqi_value = None
    category = None if aqi_value is None else category_for(aqi_value)
    primary_needed = aqi_value is not None and aqi_value > PRIMARY_POLLUTANT_ABOVE
    return AQIResult(
        standard=standard,
        hourly=hourly,
        aqi=aqi_value,
        level=None if category is None else category.level,
        category=None if category is None else category.name,
        colour=None if category is None else category.colour,
        primary=tuple(code for code in items if iaqis.get(code) == aqi_value) if primary_needed else (),
        iaqi=MappingProxyType(iaqis),
        concentrations=MappingProxyType({code: given[code].concentration for code in _ordered(set(given))}),
        capped=_ordered({code for code, sub in given.items() if sub.capped}),
        missing=missing,
        substituted=MappingProxyType(substituted),
        unrated=unrated,
    )
