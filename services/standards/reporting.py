"""Reporting precision: how a figure is published (API, board, export, alert text), never how it is computed.

Computation stays exact. A figure is rounded **once**, when it is published, by the functions here,
from its exact value (never from an already rounded one), per GB/T 8170-2008 数值修约: half to even
when the dropped part is exactly 5 (四舍六入五成双), up when a 5 is followed by non-zero digits. Money
rounds half up to the fen, as finance rounds; IAQI and AQI round up (HJ 633, 向上进位取整数).

One table holds every precision, with its basis and whether it is verified against a method text.
Unverified entries (``verified=False``, marked [?] in docs/standards.md) can be overridden per
deployment with :meth:`PrecisionTable.with_overrides` (``ENVMON_REPORTING_PLACES``); verified ones
cannot, because the standard fixes them.

Every result is a :class:`~decimal.Decimal` with a fixed exponent (``Decimal("0.0")``, never
``0E-24``), so ``str()`` prints it in plain notation with the standard's trailing zeros.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import MAX_EMAX, MAX_PREC, MIN_EMIN, ROUND_HALF_EVEN, ROUND_HALF_UP, Context, Decimal
from enum import StrEnum
from fractions import Fraction
from functools import lru_cache
from types import MappingProxyType

from services.standards.numbers import ceil_to_int


class Rounding(StrEnum):
    GB_T_8170 = "GB/T 8170"  # half to even on an exact 5
    HALF_UP = "half-up"  # money


@dataclass(frozen=True, slots=True)
class Precision:
    """Decimal places a quantity is published with, and why."""

    places: int
    basis: str
    verified: bool
    rounding: Rounding = Rounding.GB_T_8170

    @property
    def step(self) -> Decimal:
        return _step(self.places)


@lru_cache(maxsize=32)
def _step(places: int) -> Decimal:
    return Decimal(1).scaleb(-places)


def _checked(places: int, basis: str) -> Precision:
    return Precision(places, basis, verified=True)


def _unverified(places: int, basis: str) -> Precision:
    return Precision(places, basis, verified=False)


_FINER_THAN_CLASS_I = "one digit finer than the GB 3838-2002 Class Ⅰ limit, so rounding never decides a class [?]"

# Concentrations by parameter code (services.standards.parameters). Air: HJ 633—2026 §5 rounds the
# concentrations it uses this way. Water: release practice and method texts, mostly unverified.
CONCENTRATION: Mapping[str, Precision] = MappingProxyType(
    {
        **{code: _checked(0, "HJ 633—2026 §5 (整数, µg/m³)") for code in ("so2", "no2", "o3", "pm10", "pm25")},
        "co": _checked(1, "HJ 633—2026 §5 (0.1 mg/m³)"),
        "ph": _unverified(2, "analysis method / release practice (some bulletins print 0.1) [?]"),
        "do": _unverified(1, "analysis method (0.1 mg/L) [?]"),
        "codmn": _unverified(1, "analysis method (0.1 mg/L) [?]"),
        "bod5": _unverified(1, "analysis method (0.1 mg/L) [?]"),
        "cod": _unverified(0, "HJ 828 (integer mg/L) [?]"),
        "nh3n": _unverified(2, "HJ 535 / national real-time release (0.01 mg/L) [?]"),
        "tn": _unverified(2, "release practice (0.01 mg/L) [?]"),
        "tp": _unverified(2, "GB 11893 / release practice, rivers (0.01 mg/L) [?]"),
        "cu": _unverified(3, _FINER_THAN_CLASS_I),
        "zn": _unverified(3, _FINER_THAN_CLASS_I),
        "f": _unverified(2, _FINER_THAN_CLASS_I),
        "se": _unverified(4, _FINER_THAN_CLASS_I),
        "as": _unverified(4, _FINER_THAN_CLASS_I),
        "hg": _unverified(5, _FINER_THAN_CLASS_I),
        "cd": _unverified(4, _FINER_THAN_CLASS_I),
        "cr6": _unverified(3, _FINER_THAN_CLASS_I),
        "pb": _unverified(3, _FINER_THAN_CLASS_I),
        "cn": _unverified(4, _FINER_THAN_CLASS_I),
        "phenol": _unverified(4, _FINER_THAN_CLASS_I),
        "petroleum": _unverified(2, _FINER_THAN_CLASS_I),
        "las": _unverified(2, _FINER_THAN_CLASS_I),
        "sulfide": _unverified(3, _FINER_THAN_CLASS_I),
        "fecal_coliform": _unverified(0, "count per litre (integer) [?]"),
        "temp": _unverified(1, "instrument resolution (0.1 ℃) [?]"),
        "conductivity": _unverified(0, "instrument resolution (1 µS/cm) [?]"),
        "turbidity": _unverified(1, "instrument resolution (0.1 NTU) [?]"),
        "flow": _unverified(2, "hydrology practice (0.01 m³/s) [?]"),
    }
)
# Lakes and reservoirs: TP limits are ten times tighter (GB 3838-2002 Table 1), so one more digit.
LAKE_CONCENTRATION: Mapping[str, Precision] = MappingProxyType(
    {"tp": _unverified(3, "GB 11893 / release practice, lakes and reservoirs (0.001 mg/L) [?]")}
)
PERCENT = _unverified(1, "national bulletins' practice: percent to 0.1 % [I]")
TONNAGE = _unverified(1, "0.1 t [I]")
MONEY = Precision(2, "《支付结算办法》 practice: yuan to the fen", verified=True, rounding=Rounding.HALF_UP)
RATIO = _unverified(4, "dimensionless ratios and indices (e.g. a compensation P value) to 0.0001 [I]")


@dataclass(frozen=True, slots=True)
class PrecisionTable:
    """The precisions in force: the defaults above, with a deployment's overrides of unverified entries."""

    concentration: Mapping[str, Precision] = field(default_factory=lambda: CONCENTRATION)
    lake_concentration: Mapping[str, Precision] = field(default_factory=lambda: LAKE_CONCENTRATION)
    percent: Precision = PERCENT
    tonnage: Precision = TONNAGE

    def with_overrides(self, places: Mapping[str, int]) -> PrecisionTable:
        """Override unverified entries by key: a parameter code, ``lake:<code>``, ``percent`` or ``tonnage``.

        Raises ``ValueError`` for an unknown key, a negative place count, or a verified entry.
        """
        concentration, lake = dict(self.concentration), dict(self.lake_concentration)
        scalars = {"percent": self.percent, "tonnage": self.tonnage}
        for key, count in places.items():
            if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= 12:
                raise ValueError(f"reporting places for {key!r} must be an integer 0–12, not {count!r}")
            target = lake if key.startswith("lake:") else concentration if key not in scalars else scalars
            name = key.removeprefix("lake:")
            current = target.get(name)
            if current is None:
                raise ValueError(f"no reporting precision named {key!r}")
            if current.verified:
                raise ValueError(f"the reporting precision of {key!r} is fixed by {current.basis}")
            target[name] = replace(current, places=count, basis=f"{current.basis}; overridden by the deployment")
        return PrecisionTable(
            MappingProxyType(concentration), MappingProxyType(lake), scalars["percent"], scalars["tonnage"]
        )

    def of_concentration(self, parameter: str, *, lake: bool = False) -> Precision:
        if lake and parameter in self.lake_concentration:
            return self.lake_concentration[parameter]
        try:
            return self.concentration[parameter]
        except KeyError:
            raise ValueError(f"no reporting precision for parameter {parameter!r}") from None

    def concentration_value(self, parameter: str, value: Decimal | Fraction, *, lake: bool = False) -> Decimal:
        return round_exact(value, self.of_concentration(parameter, lake=lake))

    def percent_value(self, share: Decimal | Fraction) -> Decimal:
        """A share in [0, 1] published as a percentage (0.8531 → 85.3)."""
        return round_exact(Fraction(share) * 100, self.percent)

    def tonnage_value(self, tonnes: Decimal | Fraction) -> Decimal:
        return round_exact(tonnes, self.tonnage)


DEFAULT_TABLE = PrecisionTable()


# Wide enough that scaling or quantizing a finite value never rounds it (only the rounding asked for does).
_WIDE = Context(prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN)


def round_exact(value: Decimal | Fraction, precision: Precision) -> Decimal:
    """``value`` rounded once to ``precision``, exactly (no intermediate binary or decimal rounding)."""
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"cannot publish {value}")
        # Decimal's own quantize rounds the exact value once (the wide context never rounds before).
        mode = ROUND_HALF_UP if precision.rounding is Rounding.HALF_UP else ROUND_HALF_EVEN
        rounded = value.quantize(precision.step, rounding=mode, context=_WIDE)
        return rounded.copy_abs() if rounded.is_zero() else rounded  # never publish "-0"
    scaled = value * 10**precision.places
    whole, remainder = divmod(scaled.numerator, scaled.denominator)  # floor division: remainder ≥ 0
    twice = 2 * remainder
    if twice > scaled.denominator or (
        twice == scaled.denominator and (precision.rounding is Rounding.HALF_UP or whole % 2 == 1)
    ):
        whole += 1
    if precision.rounding is Rounding.HALF_UP and scaled < 0 and twice == scaled.denominator:
        whole -= 1  # half up means half away from zero: -2.5 fen → -3 fen, not -2
    return Decimal(whole).scaleb(-precision.places, context=_WIDE)


def money(yuan: Decimal | Fraction) -> Decimal:
    """Yuan to the fen, half up (away from zero)."""
    return round_exact(yuan, MONEY)


def ratio(value: Decimal | Fraction) -> Decimal:
    return round_exact(value, RATIO)


def index(value: Decimal | Fraction) -> int:
    """IAQI and AQI: rounded up to a whole number (HJ 633, 向上进位取整数)."""
    return ceil_to_int(value)


def plain(value: Decimal) -> str:
    """A published Decimal as text, never in exponent notation."""
    return format(value, "f")
