"""What the gateways send for a period, as a pure list of messages in send order.

A replay sends a plan as fast as the broker takes it; real time plans one slot at a time.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

from services.standards.hj212 import CrcVariant
from simulators.faults import NO_FAULTS, Faults, flag_values, message_faults, offline_window
from simulators.messages import (
    MAX_BATCH_READINGS,
    Format,
    Message,
    hj212_message,
    json_batches,
    json_message,
    supports_hj212,
)
from simulators.stations import GatewaySpec, StationSpec
from simulators.values import DEFAULT_SEED, Sample, sample


class CrcChoice(StrEnum):
    STANDARD = "standard"
    MODBUS = "modbus"
    REGISTRY = "registry"  # Modbus for the gateways the registry marks accept_modbus_crc, else standard


@dataclass(frozen=True, slots=True)
class PlanConfig:
    seed: int = DEFAULT_SEED
    format: Format = Format.JSON
    crc: CrcChoice = CrcChoice.STANDARD
    batch: bool = False  # JSON {"readings": [...]} per station instead of one message per sample
    max_batch_readings: int = MAX_BATCH_READINGS
    faults: Faults = field(default=NO_FAULTS)


def crc_for(gateway: GatewaySpec, choice: CrcChoice) -> CrcVariant:
    if choice is CrcChoice.REGISTRY:
        return CrcVariant.MODBUS if gateway.accept_modbus_crc else CrcVariant.STANDARD
    return CrcVariant(choice.value)


def _encode(
    config: PlanConfig,
    gateway: GatewaySpec,
    spec: StationSpec,
    items: Sequence[Sample],
    due: datetime | None,
    batch: bool,
) -> list[Message]:
    """Messages for ``items``; ``due`` None means each is sent at its own time."""
    if config.format is Format.HJ212 and supports_hj212(spec):
        crc = crc_for(gateway, config.crc)
        return [hj212_message(gateway, spec, item, due or item.time + spec.report_delay, crc) for item in items]
    if batch and items:
        return json_batches(gateway.id, items, due or items[-1].time + spec.report_delay, config.max_batch_readings)
    return [json_message(gateway.id, item, due or item.time + spec.report_delay) for item in items]


def programme_sample(seed: int, spec: StationSpec, moment: datetime, parameters: Sequence[str]) -> Sample:
    """The station's sample at ``moment`` holding only the parameters its programme has due then."""
    full = sample(seed, spec, moment)
    missing = set(parameters) - set(full.values)
    if missing:
        raise ValueError(f"{spec.code}: the programme expects {sorted(missing)} but the generator makes none")
    return replace(
        full,
        values={p: full.values[p] for p in parameters},
        flags={p: full.flags[p] for p in parameters if p in full.flags},
    )


def station_messages(
    config: PlanConfig, gateway: GatewaySpec, spec: StationSpec, start: datetime, end: datetime
) -> list[Message]:
    on_time: list[Sample] = []
    withheld: dict[datetime, list[Sample]] = defaultdict(list)  # catch-up time -> samples held back
    # Report times (of the station's programme) whose report falls due within [start, end).
    for moment, parameters in spec.schedule(start - spec.report_delay, end - spec.report_delay).items():
        item = flag_values(config.seed, config.faults, programme_sample(config.seed, spec, moment, parameters))
        window = offline_window(config.faults, gateway.id, moment)
        if window is None:
            on_time.append(item)
        elif window.resend:
            withheld[window.end].append(item)
    messages = _encode(config, gateway, spec, on_time, None, config.batch)
    for back_online, items in withheld.items():
        # A gateway back online catches up with everything it held, in batches.
        messages += _encode(config, gateway, spec, items, back_online, batch=True)
    return messages


def plan(config: PlanConfig, gateways: Sequence[GatewaySpec], start: datetime, end: datetime) -> list[Message]:
    messages = [
        message
        for gateway in gateways
        for spec in gateway.stations
        for message in station_messages(config, gateway, spec, start, end)
    ]
    if config.faults.any_message_faults:
        return message_faults(config.seed, config.faults, messages)
    return sorted(messages, key=lambda m: m.due)
