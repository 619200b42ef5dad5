"""Fault scenarios, as pure deterministic transformations of samples and outgoing messages.

- over-range (flag T) and fault (flag D) flags on single values;
- duplicates (a message sent twice), late readings (sent ``late_by`` after their slot) and
  malformed payloads (a message's bytes garbled);
- a gateway offline for a window: nothing is sent while it is down; when it comes back it
  catches up in one JSON batch (HJ 212 loggers resend their frames one by one);
- a gap: a gateway's readings of a window are lost (an analyser down, a logger's memory wiped) and
  never sent, while the gateway itself goes on reporting.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from simulators.messages import Message
from simulators.values import Sample, unit

OVER_RANGE = "T"
FAULT = "D"
MALFORMED_PAYLOADS = (b'{"time": "not a time", "values": {', b"\xff\xfe garbled", b"##9999QN=;CP=&&&&0000\r\n")


@dataclass(frozen=True, slots=True)
class OfflineWindow:
    gateway: str
    start: datetime
    end: datetime
    # False: the window's readings are lost (a gap), not held back and resent when the window ends.
    resend: bool = True

    def covers(self, gateway: str, moment: datetime) -> bool:
        return gateway == self.gateway and self.start <= moment < self.end


@dataclass(frozen=True, slots=True)
class Faults:
    over_range_rate: float = 0.0
    fault_rate: float = 0.0
    duplicate_rate: float = 0.0
    late_rate: float = 0.0
    late_by: timedelta = timedelta(hours=6)
    malformed_rate: float = 0.0
    offline: tuple[OfflineWindow, ...] = ()

    @property
    def any_message_faults(self) -> bool:
        return bool(self.duplicate_rate or self.late_rate or self.malformed_rate)


NO_FAULTS = Faults()


def flag_values(seed: int, faults: Faults, item: Sample) -> Sample:
    """Mark single values T (over the measuring range) or D (instrument fault), each at its rate."""
    if not (faults.over_range_rate or faults.fault_rate):
        return item
    flags = dict(item.flags)
    for parameter in item.values:
        draw = unit(seed, item.station, parameter, item.time.isoformat(), "flag")
        if draw < faults.over_range_rate:
            flags[parameter] = OVER_RANGE
        elif draw < faults.over_range_rate + faults.fault_rate:
            flags[parameter] = FAULT
    return replace(item, flags=flags)


def offline_window(faults: Faults, gateway: str, moment: datetime) -> OfflineWindow | None:
    return next((w for w in faults.offline if w.covers(gateway, moment)), None)


def message_faults(seed: int, faults: Faults, messages: Iterable[Message]) -> list[Message]:
    """Apply duplicates, late sending and malformed payloads; returns messages in send order."""
    out: list[Message] = []
    for message in messages:
        key = (message.topic, message.due.isoformat(), len(message.payload))
        if unit(seed, *key, "malformed") < faults.malformed_rate:
            garbage = MALFORMED_PAYLOADS[int(unit(seed, *key, "which") * len(MALFORMED_PAYLOADS))]
            out.append(replace(message, payload=garbage, note="malformed"))
            continue
        if unit(seed, *key, "late") < faults.late_rate:
            message = replace(message, due=message.due + faults.late_by, note="late")
        out.append(message)
        if unit(seed, *key, "duplicate") < faults.duplicate_rate:
            out.append(replace(message, note="duplicate"))
    return sorted(out, key=lambda m: m.due)
