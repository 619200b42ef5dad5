"""Sending plans: an accelerated replay of a past period, real time, or both (backfill, then live)."""

from __future__ import annotations

import heapq
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import structlog

from simulators.messages import Message
from simulators.plan import PlanConfig, plan
from simulators.stations import GatewaySpec
from simulators.transports import Transport

# A real-time run plans this far ahead at a time; slots are hourly or coarser, so a minute is plenty.
REALTIME_TICK = timedelta(seconds=30)
PROGRESS_EVERY_MESSAGES = 5_000

log = structlog.get_logger(__name__)
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class SendReport:
    messages: int
    readings: int
    seconds: float

    @property
    def messages_per_second(self) -> float:
        return self.messages / self.seconds if self.seconds > 0 else float("inf")


def send_all(messages: Sequence[Message], transport: Transport) -> SendReport:
    """Send as fast as the broker acknowledges, in plan order; the accelerated replay."""
    started = time.monotonic()
    readings = 0
    for number, message in enumerate(messages, start=1):
        transport.send(message)
        readings += message.readings
        if number % PROGRESS_EVERY_MESSAGES == 0:
            log.info("replay progress", messages=number, of=len(messages), at=message.due.isoformat())
    transport.flush()
    return SendReport(len(messages), readings, time.monotonic() - started)


@dataclass(frozen=True, slots=True)
class Segment:
    """The stations of ``gateways`` over [start, end)."""

    gateways: Sequence[GatewaySpec]
    start: datetime
    end: datetime


def replay(config: PlanConfig, segments: Sequence[Segment], transport: Transport) -> tuple[SendReport, list[Message]]:
    """Send the plans of ``segments`` at once, oldest first. Messages due after the last segment's end (the
    catch-up of a gateway still offline then, late readings) are held back and returned, for real time to
    send when they fall due: a replay does not send what the gateways would not have sent yet."""
    until = max(segment.end for segment in segments)
    planned = sorted(
        (m for s in segments for m in plan(config, s.gateways, s.start, s.end)), key=lambda message: message.due
    )
    due = [message for message in planned if message.due <= until]
    held = [message for message in planned if message.due > until]
    log.info("replay planned", messages=len(due), held=len(held), segments=len(segments), end=until.isoformat())
    report = send_all(due, transport)
    log.info("replay sent", messages=report.messages, readings=report.readings, seconds=round(report.seconds, 1))
    return report, held


def realtime(
    config: PlanConfig,
    gateways: Sequence[GatewaySpec],
    transport: Transport,
    stop: threading.Event,
    *,
    since: datetime | None = None,
    clock: Clock = utc_now,
    tick: timedelta = REALTIME_TICK,
    held: Iterable[Message] = (),
) -> int:
    """Send each slot when it comes due until ``stop`` is set; returns the number of messages sent.

    Messages due later (late readings, an offline gateway's catch-up, and ``held``, those a replay held
    back) wait in a queue.
    """
    planned_until = since or clock()
    queue: list[tuple[datetime, int, Message]] = [(m.due, order, m) for order, m in enumerate(held)]
    heapq.heapify(queue)
    sent, order = 0, len(queue)
    while not stop.is_set():
        now = clock()
        if now > planned_until:
            for message in plan(config, gateways, planned_until, now):
                heapq.heappush(queue, (message.due, order, message))
                order += 1
            planned_until = now
        while queue and queue[0][0] <= now:
            transport.send(heapq.heappop(queue)[2])
            sent += 1
        transport.flush()
        stop.wait(tick.total_seconds())
    return sent
