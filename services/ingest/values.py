"""Checks of one reading, shared by the JSON and HJ 212 decoders; each failure is a precise reason."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from services.ingest.messages import RejectReason
from services.standards.hj212 import DATA_FLAGS
from services.standards.parameters import PARAMETERS, Kind, Parameter

DEFAULT_FLAG = "N"


class Invalid(Exception):
    """A reading (or a whole message) that must be rejected; carries the reason code."""

    def __init__(self, reason: RejectReason | str, detail: str) -> None:
        super().__init__(detail)
        self.reason = str(reason)
        self.detail = detail


def parameter_for(code: str, station_kind: Kind, *, parameter: Parameter | None = None) -> Parameter:
    """The canonical parameter of ``code`` (or the one already looked up), checked against the station's kind."""
    found = parameter if parameter is not None else PARAMETERS.get(code)
    if found is None:
        raise Invalid(RejectReason.UNKNOWN_PARAMETER, f"unknown parameter {code!r}")
    if found.kind is not station_kind:
        raise Invalid(
            RejectReason.WRONG_KIND_PARAMETER,
            f"{found.code} is a {found.kind} parameter; this is a {station_kind} station",
        )
    return found


def finite_number(value: object, where: str) -> Decimal:
    if not isinstance(value, Decimal):
        raise Invalid(RejectReason.NOT_NUMERIC, f"{where}: {value!r} is not a JSON number")
    if not value.is_finite():
        raise Invalid(RejectReason.NOT_FINITE, f"{where}: {value} is not finite")
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
        raise Invalid(RejectReason.BAD_FLAG, f"{where}: flag {value!r} is not one of {''.join(DATA_FLAGS)}")
    return value


def not_in_future(moment: datetime, now: datetime, max_future: timedelta) -> datetime:
    if moment > now + max_future:
        raise Invalid(
            RejectReason.TIME_IN_FUTURE,
            f"time {moment.isoformat()} is more than {max_future} after receipt {now.isoformat()}",
        )
    return moment
