from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta

from services.standards.local_time import BEIJING_TIME
from simulators.faults import Faults
from simulators.messages import Message
from simulators.plan import PlanConfig
from simulators.runner import realtime
from simulators.stations import load_gateways, select_gateways

START = datetime(2026, 1, 10, 0, 30, tzinfo=BEIJING_TIME)


class Recorder:
    """A transport that keeps what it was given; stops the run after ``ticks`` flushes."""

    def __init__(self, stop: threading.Event, ticks: int) -> None:
        self.sent: list[Message] = []
        self.stop, self.ticks = stop, ticks

    def send(self, message: Message) -> None:
        self.sent.append(message)

    def flush(self) -> None:
        self.ticks -= 1
        if self.ticks == 0:
            self.stop.set()

    def close(self) -> None:
        """Nothing to release."""


def test_real_time_sends_each_slot_when_due_and_holds_late_messages() -> None:
    gateways = select_gateways(load_gateways(), ["gw-air-zhuji"])
    times = iter(START + timedelta(hours=h) for h in range(100))
    stop = threading.Event()
    recorder = Recorder(stop, ticks=6)
    faults = Faults(late_rate=1.0, late_by=timedelta(hours=2))
    sent = realtime(
        PlanConfig(faults=faults), gateways, recorder, stop, since=START, clock=lambda: next(times), tick=timedelta(0)
    )
    # Clock reads 00:30 (nothing), 01:30, …, 05:30; every hourly slot from 01:00 is sent 2 h late.
    assert sent == len(recorder.sent) == 3
    stamps = [datetime.fromisoformat(json.loads(m.payload)["time"]) for m in recorder.sent]
    assert stamps == [START + timedelta(minutes=30 + 60 * h) for h in range(3)]
    assert all(m.due == stamp + timedelta(hours=2) for m, stamp in zip(recorder.sent, stamps, strict=True))
