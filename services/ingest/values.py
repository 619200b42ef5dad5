"""Checks of one reading, shared by the JSON and HJ 212 decoders; each failure is a precise reason.

Values are stored as PostgreSQL ``double precision`` (IEEE 754 binary64), so a value must be one
that type holds with its meaning intact:

- its magnitude is zero or within the *normal* binary64 range, 2.2250738585072014e-308 to
  1.7976931348623157e308 (``not_representable``): smaller numbers underflow (PostgreSQL refuses
  them) or become subnormals that have lost precision; larger ones overflow;
- it has at most ``MAX_SIGNIFICANT_DIGITS`` = 17 significant digits (``too_many_digits``), trailing
  zeros not counted. 17 digits are what it takes to write any binary64 exactly (the shortest
  round-trip form that JSON encoders in Python, JavaScript, Java or C# print never has more), so
  no number a gateway computed in floating point is refused, while a 30-digit decimal, whose
  digits beyond the 17th the column would silently drop, is refused rather than stored as a
  different number.

Times lie within [earliest, receipt + max_future]: ``time_too_early`` before the station's
commissioning date (``stations.commissioned_on``) or, where that is unknown, before
``ENVMON_INGEST_EARLIEST``; ``time_in_future`` after receipt plus ``ENVMON_INGEST_MAX_FUTURE``.
"""

from __future__ import annotations

import sys
from datetime import datetime, timedelta
from decimal import Decimal

from services.ingest.json_limits import UnstorableNumber
from services.ingest.messages import RejectReason
from services.standards.hj212 import DATA_FLAGS
from services.standards.parameters import PARAMETERS, Kind, Parameter

DEFAULT_FLAG = "N"
MAX_SIGNIFICANT_DIGITS = 17
SMALLEST_NORMAL = Decimal(sys.float_info.min)  # exact: 2.2250738585072014e-308 written out
LARGEST = Decimal(sys.float_info.max)
BRIEF_CHARS = 80


class Invalid(Exception):
    """A reading (or a whole message) that must be rejected; carries the reason code."""

    def __init__(self, reason: RejectReason | str, detail: str) -> None:
        super().__init__(detail)
        self.reason = str(reason)
        self.detail = detail


def brief(value: object) -> str:
    """``repr(value)``, cut short: details name offending input without repeating all of it."""
    text = repr(value)
    return text if len(text) <= BRIEF_CHARS else text[:BRIEF_CHARS] + "…"


def parameter_for(code: str, station_kind: Kind, *, parameter: Parameter | None = None) -> Parameter:
    """The canonical parameter of ``code`` (or the one already looked up), checked against the station's kind."""
    found = parameter if parameter is not None else PARAMETERS.get(code)
    if found is None:
        raise Invalid(RejectReason.UNKNOWN_PARAMETER, f"unknown parameter {brief(code)}")
    if found.kind is not station_kind:
        raise Invalid(
            RejectReason.WRONG_KIND_PARAMETER,
            f"{found.code} is a {found.kind} parameter; this is a {station_kind} station",
        )
    return found


def finite_number(value: object, where: str) -> Decimal:
    if isinstance(value, UnstorableNumber):
        raise Invalid(RejectReason.NOT_REPRESENTABLE, f"{where}: {value[:BRIEF_CHARS]} is beyond any stored number")
    if not isinstance(value, Decimal):
        raise Invalid(RejectReason.NOT_NUMERIC, f"{where}: {brief(value)} is not a JSON number")
    if not value.is_finite():
        raise Invalid(RejectReason.NOT_FINITE, f"{where}: {value} is not finite")
    return value


def representable(value: Decimal, where: str) -> Decimal:
    """``value`` unless binary64 cannot hold it with its meaning (module doc)."""
    # copy_abs, not abs(): abs() rounds to the context and raises Overflow past its exponent (1e1000000).
    if value and not SMALLEST_NORMAL <= value.copy_abs() <= LARGEST:
        raise Invalid(
            RejectReason.NOT_REPRESENTABLE,
            f"{where}: {value:.6E} is outside the double-precision range (zero or 2.2E-308 to 1.8E+308)",
        )
    digits = value.as_tuple().digits
    significant = len(bytes(digits).strip(b"\x00"))
    if significant > MAX_SIGNIFICANT_DIGITS:
        raise Invalid(
            RejectReason.TOO_MANY_DIGITS,
            f"{where}: {significant} significant digits; at most {MAX_SIGNIFICANT_DIGITS} can be stored exactly",
        )
    return value


def in_range(parameter: Parameter, value: Decimal, where: str) -> Decimal:
    if not parameter.in_physical_range(value):
        raise Invalid(
            RejectReason.OUT_OF_RANGE,
            f"{where}={value} outside {parameter.physical_min}..{parameter.physical_max} {parameter.unit}",
        )
    return value


def data_flag(value: object, where: str) -> str:
    if not isinstance(value, str) or value not in DATA_FLAGS:
        raise Invalid(RejectReason.BAD_FLAG, f"{where}: flag {brief(value)} is not one of {''.join(DATA_FLAGS)}")
    return value


def within_time_bounds(moment: datetime, earliest: datetime, now: datetime, max_future: timedelta) -> datetime:
    if moment < earliest:
        raise Invalid(
            RejectReason.TIME_TOO_EARLY,
            f"time {moment.isoformat()} is before {earliest.isoformat()}, the earliest this station can have",
        )
    if moment > now + max_future:
        raise Invalid(
            RejectReason.TIME_IN_FUTURE,
            f"time {moment.isoformat()} is more than {max_future} after receipt {now.isoformat()}",
        )
    return moment
