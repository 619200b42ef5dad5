"""Paired comparison of two sources at one section (比对): paired means, their difference, the relative
deviation, and whether the two agree within the indicator's tolerance.

Two sources measure the same water when a boundary section has more than one: the Shaoxing automatic
station, the partner's automatic station, and the joint manual samples (联合监测). Each source gives one
value per paired unit (a Beijing-time day on which both have a value); the comparison uses only the
units both have, so a source's extra days never move the other's mean.

The tolerance follows the shape of HJ 915-2017's real-sample comparison (实际水样比对): an absolute limit
on the difference for the physical items (pH, DO, temperature) and for low concentrations, a relative
limit otherwise. The relative deviation is taken against the laboratory side when one side is a
laboratory (joint or manual samples, as HJ 915-2017 takes the relative error against the laboratory
value), else against the mean of the two automatic means (neither station is the reference).

Every limit is data (:data:`HJ915_2017`), marked ``verified=False`` where it is not checked against the
standard's text, and a deployment can replace any entry
(:meth:`ToleranceTable.with_overrides`). Arithmetic is exact (Fractions): rounding never decides agreement.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from types import MappingProxyType
from typing import Any

from services.standards.numbers import to_decimal

MAX_LIMIT = Decimal(10) ** 6


class Reference(StrEnum):
    """What the relative deviation is taken against."""

    FIRST = "first"  # the first source is the laboratory
    SECOND = "second"  # the second source is the laboratory
    MEAN = "mean"  # two automatic stations: the mean of both means


@dataclass(frozen=True, slots=True)
class Tolerance:
    """How far two sources may differ on one indicator and still agree.

    ``|difference| ≤ absolute`` while the reference mean is below ``absolute_below`` (or always, when
    there is no relative limit); ``|difference| ≤ relative × reference`` otherwise.
    """

    relative: Decimal | None
    absolute: Decimal | None
    absolute_below: Decimal | None
    basis: str
    verified: bool

    def __post_init__(self) -> None:
        if self.relative is None and self.absolute is None:
            raise ValueError("a tolerance needs a relative or an absolute limit")
        for name in ("relative", "absolute", "absolute_below"):
            limit = getattr(self, name)
            if limit is not None and not (limit.is_finite() and 0 <= limit <= MAX_LIMIT):
                raise ValueError(f"tolerance {name} must be a number from 0 to {MAX_LIMIT}, not {limit}")
        both = self.relative is not None and self.absolute is not None
        if both and self.absolute_below is None:
            raise ValueError("a tolerance with both limits needs absolute_below (where the absolute limit applies)")
        if not both and self.absolute_below is not None:
            raise ValueError("absolute_below only applies to a tolerance with both an absolute and a relative limit")

    def allowed(self, reference: Fraction) -> Fraction:
        """The largest difference that still agrees, at this reference mean."""
        if self.relative is None or (self.absolute_below is not None and abs(reference) < self.absolute_below):
            assert self.absolute is not None
            return Fraction(self.absolute)
        return Fraction(self.relative) * abs(reference)

    def describe(self) -> str:
        """``±20 %`` / ``±0.5`` / ``±0.4 (< 2) 或 ±20 %``: the limit as a duty officer reads it."""
        relative = None if self.relative is None else f"±{_plain(self.relative * 100)} %"
        absolute = None if self.absolute is None else f"±{_plain(self.absolute)}"
        if relative is None:
            return str(absolute)
        if absolute is None:
            return relative
        return f"{absolute} (< {_plain(self.absolute_below or Decimal(0))}) 或 {relative}"


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _recalled(relative: str | None, absolute: str | None, below: str | None, basis: str) -> Tolerance:
    return Tolerance(
        None if relative is None else Decimal(relative),
        None if absolute is None else Decimal(absolute),
        None if below is None else Decimal(below),
        basis,
        verified=False,
    )


_HJ915 = "HJ 915-2017 实际水样比对 (as recalled; not verified against the text) [?]"
_LOW = "HJ 915-2017 shape: absolute limit at low concentration; limit and switch point not verified [?]"

# Units as in services.standards.parameters (mg/L; pH dimensionless; ℃; µS/cm; NTU).
HJ915_2017: Mapping[str, Tolerance] = MappingProxyType(
    {
        "temp": _recalled(None, "0.5", None, _HJ915),
        "ph": _recalled(None, "0.5", None, _HJ915),
        "do": _recalled(None, "0.5", None, _HJ915),
        "conductivity": _recalled("0.10", None, None, _HJ915),
        "turbidity": _recalled("0.10", None, None, _HJ915),
        "codmn": _recalled("0.20", "0.4", "2", f"{_HJ915}; {_LOW}"),
        "nh3n": _recalled("0.20", "0.04", "0.2", f"{_HJ915}; {_LOW}"),
        "tp": _recalled("0.30", "0.01", "0.04", f"{_HJ915}; {_LOW}"),
        "tn": _recalled("0.30", "0.1", "0.4", f"{_HJ915}; {_LOW}"),
    }
)

TOLERANCE_KEYS = frozenset({"relative", "absolute", "absolute_below"})


@dataclass(frozen=True, slots=True)
class ToleranceTable:
    """The tolerances in force: HJ 915-2017's shape, with a deployment's replacements."""

    entries: Mapping[str, Tolerance] = field(default_factory=lambda: HJ915_2017)

    def of(self, parameter: str) -> Tolerance | None:
        """The tolerance of an indicator, or None where none is set (the comparison then gives no verdict)."""
        return self.entries.get(parameter)

    def with_overrides(self, overrides: Mapping[str, Mapping[str, Any]]) -> ToleranceTable:
        """Replace or add entries: ``{"nh3n": {"relative": "0.15", "absolute": "0.05", "absolute_below": "0.3"}}``.

        A replaced entry takes exactly the limits given (it is not merged with the default). Raises
        ``ValueError`` naming the indicator for an unknown key or an invalid limit.
        """
        entries = dict(self.entries)
        for parameter, limits in overrides.items():
            unknown = set(limits) - TOLERANCE_KEYS
            if unknown:
                raise ValueError(f"tolerance of {parameter!r}: unknown keys {sorted(unknown)}")
            try:
                values = {key: None if limits.get(key) is None else to_decimal(limits[key]) for key in TOLERANCE_KEYS}
                entries[parameter] = Tolerance(
                    values["relative"],
                    values["absolute"],
                    values["absolute_below"],
                    "set by the deployment (ENVMON_ALERTS_COMPARISON_TOLERANCES)",
                    verified=False,
                )
            except ValueError as error:
                raise ValueError(f"tolerance of {parameter!r}: {error}") from None
        return ToleranceTable(MappingProxyType(entries))


DEFAULT_TOLERANCES = ToleranceTable()


@dataclass(frozen=True, slots=True)
class PairedComparison:
    """The comparison of two sources over their paired units (exact)."""

    pairs: int
    first_mean: Fraction
    second_mean: Fraction
    difference: Fraction  # first − second
    reference: Fraction  # what the relative deviation is taken against
    relative_deviation: Fraction | None  # difference / reference; None when the reference is 0
    allowed: Fraction | None  # the largest difference that agrees; None without a tolerance
    agrees: bool | None  # None without a tolerance


def compare(
    pairs: Sequence[tuple[Decimal, Decimal]], tolerance: Tolerance | None, reference: Reference
) -> PairedComparison:
    """Compare two sources over ``pairs`` (first source's value, second source's value), one per paired unit.

    Raises ``ValueError`` for no pairs or a value that is not finite.
    """
    if not pairs:
        raise ValueError("a comparison needs at least one pair of values")
    for pair in pairs:
        for value in pair:
            if not value.is_finite():
                raise ValueError(f"cannot compare {value}")
    count = len(pairs)
    first = sum((Fraction(a) for a, _ in pairs), Fraction(0)) / count
    second = sum((Fraction(b) for _, b in pairs), Fraction(0)) / count
    difference = first - second
    base = {Reference.FIRST: first, Reference.SECOND: second, Reference.MEAN: (first + second) / 2}[reference]
    allowed = None if tolerance is None else tolerance.allowed(base)
    return PairedComparison(
        pairs=count,
        first_mean=first,
        second_mean=second,
        difference=difference,
        reference=base,
        relative_deviation=None if base == 0 else difference / base,
        allowed=allowed,
        agrees=None if allowed is None else abs(difference) <= allowed,
    )
