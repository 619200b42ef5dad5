"""Encoding samples as what gateways send: JSON (one sample or a batch) and HJ 212 frames."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from services.common.topics import data_topic, hj212_topic
from services.standards import hj212
from services.standards.local_time import local
from services.standards.parameters import PARAMETERS, Kind
from simulators.stations import GatewaySpec, StationSpec
from simulators.values import NORMAL, Sample

# The ingest contract's limit for one {"readings": [...]} message.
MAX_BATCH_READINGS = 10_000
SYSTEM_CODES = {Kind.WATER: hj212.SystemCode.SURFACE_WATER, Kind.AIR: hj212.SystemCode.AIR_QUALITY}


class Format(StrEnum):
    JSON = "json"
    HJ212 = "hj212"


@dataclass(frozen=True, slots=True)
class Message:
    """One MQTT publish (or one TCP write, for HJ 212) by a gateway, due at ``due`` (simulated time)."""

    gateway: str
    station: str
    topic: str
    payload: bytes
    due: datetime
    readings: int
    note: str = ""


def _entry(item: Sample) -> dict[str, object]:
    flags = {p: f for p, f in item.flags.items() if f != NORMAL}
    entry: dict[str, object] = {
        "time": local(item.time).isoformat(),
        "values": {p: float(v) for p, v in item.values.items()},  # few digits: the float repr is exact
    }
    if flags:
        entry["flags"] = flags
    return entry


def json_message(gateway: str, item: Sample, due: datetime) -> Message:
    payload = json.dumps(_entry(item), ensure_ascii=False).encode()
    return Message(gateway, item.station, data_topic(item.station, item.kind.value), payload, due, len(item.values))


def json_batches(
    gateway: str, items: Sequence[Sample], due: datetime, max_readings: int = MAX_BATCH_READINGS
) -> list[Message]:
    """``{"readings": [...]}`` messages of one station, each under ``max_readings`` values."""
    messages: list[Message] = []
    chunk: list[Sample] = []
    count = 0

    def flush() -> None:
        nonlocal chunk, count
        if chunk:
            payload = json.dumps({"readings": [_entry(i) for i in chunk]}, ensure_ascii=False).encode()
            topic = data_topic(chunk[0].station, chunk[0].kind.value)
            messages.append(Message(gateway, chunk[0].station, topic, payload, due, count))
        chunk, count = [], 0

    for item in items:
        if count + len(item.values) > max_readings:
            flush()
        chunk.append(item)
        count += len(item.values)
    flush()
    return messages


def supports_hj212(spec: StationSpec) -> bool:
    return spec.kind in SYSTEM_CODES and spec.hj212_mn is not None


def hj212_only(gateways: Sequence[GatewaySpec]) -> tuple[GatewaySpec, ...]:
    """The gateways with an HJ 212 password, keeping only their stations that have an MN (data-logger mode)."""
    return tuple(
        replace(gateway, stations=stations)
        for gateway in gateways
        if gateway.hj212_password is not None and (stations := tuple(filter(supports_hj212, gateway.stations)))
    )


def hj212_values(item: Sample) -> dict[str, dict[str, Decimal | str]]:
    """The sample as HJ 212 factors: each code's Avg and Flag (parameters without a code are left out)."""
    return {
        code: {"Avg": value, "Flag": item.flags.get(parameter, NORMAL)}
        for parameter, value in item.values.items()
        if (code := PARAMETERS[parameter].hj212_code) is not None
    }


def hj212_frame(
    gateway: GatewaySpec, spec: StationSpec, item: Sample, *, crc_variant: hj212.CrcVariant = hj212.CrcVariant.STANDARD
) -> bytes:
    """An hourly-data upload (CN 2061) with each factor's Avg and Flag."""
    if not supports_hj212(spec) or gateway.hj212_password is None or spec.hj212_mn is None:
        raise ValueError(f"station {spec.code} has no HJ 212 identity (MN and password) in the registry")
    frame = hj212.data_frame(
        st=SYSTEM_CODES[spec.kind],
        cn=hj212.Command.HOURLY_DATA,
        mn=spec.hj212_mn,
        pw=gateway.hj212_password,
        data_time=local(item.time),
        values=hj212_values(item),
        qn=qn_for(item.time),
    )
    return hj212.build(frame, crc_variant=crc_variant)


def qn_for(moment: datetime) -> str:
    beijing = local(moment)
    return beijing.strftime("%Y%m%d%H%M%S") + f"{beijing.microsecond // 1000:03d}"


def hj212_message(
    gateway: GatewaySpec, spec: StationSpec, item: Sample, due: datetime, crc_variant: hj212.CrcVariant
) -> Message:
    payload = hj212_frame(gateway, spec, item, crc_variant=crc_variant)
    return Message(gateway.id, spec.code, hj212_topic(spec.code), payload, due, len(item.values))
