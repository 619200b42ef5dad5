"""HJ 212 frames on ``envmon/v1/{station}/hj212`` → readings, per-value rejects and the 9014 reply.

- The frame's MN must be bound to the topic's station (gateway_stations.hj212_mn); the MN's
  gateway is recorded on each reading and decides whether Modbus-CRC frames are accepted.
- The frame's PW must match that gateway's ``hj212_password_hash`` (a gateway without one is refused).
  A wrong PW is remembered, and after one, new PWs for the MN wait a short, growing backoff
  (``hj212_password_throttled``): a wrong PW costs one PBKDF2 derivation, not one per frame.
- CN 2011 (real-time) stores ``-Rtd``; CN 2051/2061/2031 (minute/hourly/daily) store ``-Avg``.
  ``-Min``/``-Max``, when present, are checked (finite, in the physical range, Min ≤ Avg ≤ Max)
  but not stored: the readings table holds one value per station, parameter and time.
- Each value keeps its own ``-Flag`` (N when absent). DataTime is Beijing time, the fixed UTC+08:00
  (services.standards.hj212.parse_time), never the historical rules of Asia/Shanghai.
- Values and times are bounded as JSON ones are (services.ingest.values): binary64-representable,
  at most 17 significant digits, within [earliest, receipt + max_future].
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from services.common.credentials import PasswordVerdict
from services.ingest.messages import Reading, Reject, RejectReason
from services.ingest.registry import RegistrySnapshot
from services.ingest.values import (
    DEFAULT_FLAG,
    Invalid,
    brief,
    data_flag,
    in_range,
    parameter_for,
    representable,
    within_time_bounds,
)
from services.standards.hj212 import Command, Frame
from services.standards.parameters import BY_HJ212_CODE, Kind, Parameter
from services.storage.schema import Source

STORED_FIELD: dict[int, str] = {
    Command.REALTIME_DATA: "Rtd",
    Command.MINUTE_DATA: "Avg",
    Command.HOURLY_DATA: "Avg",
    Command.DAILY_DATA: "Avg",
}
CHECKED_FIELDS = ("Min", "Max")


@dataclass(frozen=True, slots=True)
class FrameContext:
    station: str
    kind: Kind
    now: datetime
    earliest: datetime
    max_future: timedelta


def frame_gateway(frame: Frame, station: str, registry: RegistrySnapshot) -> str:
    """The gateway the frame's MN belongs to; raises Invalid unless that MN reports for ``station``."""
    device = registry.mns.get(frame.mn)
    if device is None:
        raise Invalid(RejectReason.HJ212_UNKNOWN_MN, f"MN {frame.mn} is not registered")
    if device.station != station:
        raise Invalid(
            RejectReason.HJ212_MN_STATION_MISMATCH, f"MN {frame.mn} belongs to {device.station}, not to {station}"
        )
    if device.password_hash is None:
        raise Invalid(RejectReason.HJ212_NO_PASSWORD, f"gateway {device.gateway} has no HJ 212 password registered")
    verdict = registry.password_verdict(frame.mn, frame.pw)
    if verdict is PasswordVerdict.THROTTLED:
        raise Invalid(
            RejectReason.HJ212_PASSWORD_THROTTLED,
            f"PW of MN {frame.mn} not checked: a wrong PW for it came moments ago (PW checks are rate-limited)",
        )
    if verdict is not PasswordVerdict.MATCH:
        raise Invalid(RejectReason.HJ212_BAD_PASSWORD, f"PW of MN {frame.mn} does not match the registered password")
    return device.gateway


def frame_time(frame: Frame, context: FrameContext) -> tuple[str, datetime]:
    """The stored field of the frame's CN and its DataTime; raises Invalid for anything else."""
    stored = STORED_FIELD.get(frame.cn)
    if stored is None:
        raise Invalid(
            RejectReason.HJ212_UNSUPPORTED_COMMAND,
            f"CN {frame.cn} carries no readings (supported: {sorted(STORED_FIELD)})",
        )
    if frame.data_time is None:
        raise Invalid(RejectReason.BAD_TIME, "the frame has no DataTime")
    return stored, within_time_bounds(frame.data_time, context.earliest, context.now, context.max_future)


def _value(parameter: Parameter, fields: dict[str, Decimal | str], stored: str, code: str) -> Decimal:
    main = fields.get(stored)
    if not isinstance(main, Decimal):
        raise Invalid(RejectReason.MISSING_VALUE, f"{code}-{stored} is missing")
    in_range(parameter, representable(main, f"{code}-{stored}"), f"{code}-{stored}")
    low, high = (fields.get(name) for name in CHECKED_FIELDS)
    for name, bound in zip(CHECKED_FIELDS, (low, high), strict=True):
        if isinstance(bound, Decimal):
            in_range(parameter, representable(bound, f"{code}-{name}"), f"{code}-{name}")
    if (isinstance(low, Decimal) and low > main) or (isinstance(high, Decimal) and main > high):
        raise Invalid(RejectReason.MIN_AVG_MAX_ORDER, f"{code}: need Min ≤ {stored} ≤ Max, got {low}/{main}/{high}")
    return main


def frame_readings(frame: Frame, gateway: str, context: FrameContext) -> Iterator[Reading | Reject]:
    stored, moment = frame_time(frame, context)
    for code, fields in frame.values.items():
        try:
            known = BY_HJ212_CODE.get(code)
            if known is None:
                raise Invalid(RejectReason.UNKNOWN_PARAMETER, f"unknown HJ 212 factor code {brief(code)}")
            parameter = parameter_for(code, context.kind, parameter=known)
            value = _value(parameter, fields, stored, code)
            flag = data_flag(fields.get("Flag", DEFAULT_FLAG), f"{code}-Flag")
            yield Reading(context.station, parameter.code, moment, value, flag, Source.HJ212, gateway)
        except Invalid as invalid:
            yield Reject(invalid.reason, invalid.detail, context.station, gateway, code)
