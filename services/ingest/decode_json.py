"""JSON payloads on ``envmon/v1/{station}/{kind}``: one reading set, or ``{"readings": [...]}``.

A reading set is ``{"time": "…+08:00", "values": {"ph": 7.35, …}, "flags": {"do": "N"}}``. Values
must be JSON numbers; they are read as exact decimals, never binary floats. A bad reading set or
value is rejected on its own and the rest of the message is stored. A set that also carries
``"correction": "<why>"`` replaces readings already stored (audited, services.ingest.corrections);
without it, a stored reading is never changed.

Bounds: nesting (services.ingest.json_limits) is checked before parsing; after parsing, at most
``max_readings`` reading sets, ``MAX_VALUES_PER_SET`` values per set and ``MAX_TIME_CHARS`` per time.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from services.ingest.json_limits import MAX_DEPTH, json_number, too_deep
from services.ingest.messages import Correction, Reading, Reject, RejectReason
from services.ingest.values import (
    DEFAULT_FLAG,
    Invalid,
    brief,
    data_flag,
    finite_number,
    in_range,
    parameter_for,
    representable,
    within_time_bounds,
)
from services.standards.hj212 import DATA_FLAGS
from services.standards.parameters import PARAMETERS, Kind
from services.storage.schema import Source

MQTT_JSON = Source.MQTT_JSON
# A station measures a few dozen parameters at most; a set with more is not a reading set.
MAX_VALUES_PER_SET = 100
MAX_TIME_CHARS = 64  # the longest ISO 8601 form is about 40 characters
MAX_CORRECTION_CHARS = 500  # a correction's reason, as stored in the audit
SET_KEYS = frozenset({"time", "values", "flags", "correction"})


@dataclass(frozen=True, slots=True)
class JsonContext:
    station: str
    kind: Kind
    gateway: str | None
    now: datetime
    earliest: datetime
    max_future: timedelta
    max_readings: int


def _nan_or_infinity(name: str) -> Decimal:
    return Decimal(name.replace("Infinity", "Inf"))  # kept so the check can name it "not_finite"


# Built once: json.loads with options would build a decoder per message.
_DECODER = json.JSONDecoder(parse_float=json_number, parse_int=json_number, parse_constant=_nan_or_infinity)


def load(payload: bytes) -> Any:
    """Parse with exact decimals; raises Invalid (too_deep, malformed_json). Accepts UTF-8, -16 and -32,
    as json.loads does."""
    try:
        encoding = json.detect_encoding(payload)
        text = payload.decode(encoding, "surrogatepass")
        utf8 = payload if encoding == "utf-8" else text.encode("utf-8", "surrogatepass")
    except UnicodeError as error:
        raise Invalid(RejectReason.MALFORMED_JSON, f"not valid UTF-8 JSON: {error}") from None
    if too_deep(utf8):
        raise Invalid(RejectReason.TOO_DEEP, f"arrays and objects nest deeper than {MAX_DEPTH} levels")
    try:
        return _DECODER.decode(text)
    except (ValueError, RecursionError) as error:
        raise Invalid(RejectReason.MALFORMED_JSON, f"not valid JSON: {str(error)[:200]}") from None


def reading_sets(document: Any, max_readings: int) -> list[Any]:
    """The reading sets of a document; raises Invalid for a wrong overall shape."""
    if isinstance(document, dict) and "readings" in document:
        sets = document["readings"]
        if not isinstance(sets, list) or len(document) != 1:
            raise Invalid(RejectReason.BAD_SHAPE, '"readings" must be the only key and hold a list')
        if len(sets) > max_readings:
            raise Invalid(RejectReason.TOO_MANY_READINGS, f"{len(sets)} reading sets; at most {max_readings}")
        return sets
    if isinstance(document, dict):
        return [document]
    raise Invalid(RejectReason.BAD_SHAPE, f"expected a JSON object, got {type(document).__name__}")


def parse_time(value: object) -> datetime:
    if not isinstance(value, str) or len(value) > MAX_TIME_CHARS:
        raise Invalid(RejectReason.BAD_TIME, f"time must be an ISO 8601 string, got {brief(value)}")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise Invalid(RejectReason.BAD_TIME, f"time {brief(value)} is not ISO 8601") from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise Invalid(RejectReason.TIME_WITHOUT_OFFSET, f"time {brief(value)} has no UTC offset")
    return moment


def _reading_set(item: Any, context: JsonContext) -> tuple[datetime, dict[str, Any], dict[str, Any], str | None]:
    if not isinstance(item, dict) or set(item) - SET_KEYS:
        raise Invalid(
            RejectReason.BAD_SHAPE,
            'a reading set is an object with "time", "values", optional "flags" and "correction"',
        )
    values, flags = item.get("values"), item.get("flags", {})
    if not isinstance(values, dict) or not values or not isinstance(flags, dict):
        raise Invalid(RejectReason.BAD_SHAPE, '"values" must be a non-empty object and "flags" an object')
    if len(values) > MAX_VALUES_PER_SET:
        raise Invalid(RejectReason.TOO_MANY_VALUES, f"{len(values)} values in one set; at most {MAX_VALUES_PER_SET}")
    if unknown := set(flags) - set(values):
        raise Invalid(RejectReason.BAD_SHAPE, f"flags for parameters without a value: {brief(sorted(unknown))}")
    correction = item.get("correction")
    if correction is not None and (
        not isinstance(correction, str) or not correction.strip() or len(correction) > MAX_CORRECTION_CHARS
    ):
        raise Invalid(
            RejectReason.BAD_CORRECTION,
            f'"correction" must give the reason in 1 to {MAX_CORRECTION_CHARS} characters, got {brief(correction)}',
        )
    moment = within_time_bounds(parse_time(item.get("time")), context.earliest, context.now, context.max_future)
    return moment, values, flags, correction


def _checked(code: str, raw: object, flag: object, context: JsonContext, moment: datetime) -> Reading:
    """A reading that failed the common-case test in decode_document: the checks that name the precise reason."""
    parameter = parameter_for(code, context.kind)
    value = in_range(parameter, representable(finite_number(raw, code), code), code)
    checked_flag = data_flag(flag, code)
    return Reading(context.station, parameter.code, moment, value, checked_flag, MQTT_JSON, context.gateway)


def decode_document(document: Any, context: JsonContext) -> tuple[list[Reading], list[Reject], list[Correction]]:
    """Readings, per-reading rejects and corrections of a parsed document (whole-message problems raise Invalid)."""
    sets = reading_sets(document, context.max_readings)
    batch = "readings" in document
    stored: list[Reading] = []
    rejects: list[Reject] = []
    corrections: list[Correction] = []
    kind, station, gateway = context.kind, context.station, context.gateway
    for index, item in enumerate(sets):
        where = index if batch else None
        part: bytes | None = None  # the set as stored with its rejects, made once per set
        try:
            moment, values, flags, correction = _reading_set(item, context)
        except Invalid as invalid:
            rejects.append(
                Reject(
                    invalid.reason, invalid.detail, context.station, context.gateway, None, where, _part(item, batch)
                )
            )
            continue
        readings = stored if correction is None else []
        for code, raw in values.items():
            flag = flags.get(code, DEFAULT_FLAG)
            parameter = PARAMETERS.get(code)
            # The common case in one expression, inline (this runs for every reading) ...
            if (
                parameter is not None
                and parameter.kind is kind
                and type(raw) is Decimal
                and raw.is_finite()
                and parameter.physical_min <= raw <= parameter.physical_max
                and type(flag) is str
                and flag in DATA_FLAGS
            ):
                readings.append(Reading(station, parameter.code, moment, raw, flag, MQTT_JSON, gateway))
                continue
            try:  # ... anything else is checked step by step
                readings.append(_checked(code, raw, flag, context, moment))
            except Invalid as invalid:
                if part is None:
                    part = _part(item, batch)
                rejects.append(
                    Reject(invalid.reason, invalid.detail, context.station, context.gateway, code, where, part)
                )
        if correction is not None:
            corrections += (Correction(reading, correction) for reading in readings)
    return stored, rejects, corrections


def _part(item: Any, batch: bool) -> bytes | None:
    """The offending reading set of a batch, for rejected_messages.payload (None: the whole message)."""
    return json.dumps(item, default=str).encode() if batch else None
