from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta

from services.standards.local_time import BEIJING_TIME
from simulators.faults import Faults, OfflineWindow
from simulators.messages import Message
from simulators.plan import PlanConfig
from simulators.runner import Segment, realtime, replay
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


class Keeper:
    """A transport that keeps what it was given."""

    def __init__(self) -> None:
        self.sent: list[Message] = []

    def send(self, message: Message) -> None:
        self.sent.append(message)

    def flush(self) -> None:
        """Nothing buffered."""

    def close(self) -> None:
        """Nothing to release."""


def test_a_replay_holds_back_the_catch_up_of_a_gateway_still_offline_and_real_time_sends_it_when_due() -> None:
    gateways = select_gateways(load_gateways(), ["gw-air-zhuji"])
    end = START + timedelta(hours=6)
    # Offline from 02:30 until 08:30: by the end of the replay (06:30) nothing of 03:00 … 06:00 may have gone out.
    faults = Faults(offline=(OfflineWindow("gw-air-zhuji", START + timedelta(hours=2), end + timedelta(hours=2)),))
    keeper = Keeper()
    report, held = replay(PlanConfig(faults=faults, batch=True), [Segment(gateways, START, end)], keeper)
    sent = sorted(datetime.fromisoformat(e["time"]) for m in keeper.sent for e in json.loads(m.payload)["readings"])
    assert sent == [START + timedelta(minutes=30 + 60 * h) for h in range(2)] and report.messages == len(keeper.sent)
    assert [m.due for m in held] == [end + timedelta(hours=2)]
    # Real time from the end of the replay sends the held catch-up at 08:30 with its own slots (07:00, 08:00).
    times = iter(end + timedelta(hours=h) for h in range(100))
    stop = threading.Event()
    recorder = Recorder(stop, ticks=4)
    live = PlanConfig(faults=faults)
    realtime(live, gateways, recorder, stop, since=end, clock=times.__next__, tick=timedelta(0), held=held)
    caught_up = [m for m in recorder.sent if m.due == end + timedelta(hours=2)]
    stamps = sorted(datetime.fromisoformat(e["time"]) for m in caught_up for e in json.loads(m.payload)["readings"])
    assert stamps == [START + timedelta(minutes=30 + 60 * h) for h in range(2, 8)]
