"""Platform → logger commands: get/set time (1011/1012), start/stop real-time data (2011/2012) and
history requests (2061 with BeginTime/EndTime) that backfill the hours a station is missing.

A command is one exchange keyed by its QN: the logger answers 9011 (QnRtn), may upload data carrying
the same QN (SystemTime for 1011, the requested records for 2061, which are forwarded as usual) and
ends with 9012 (ExeRtn). The exchange completes on 9012, on a refusing 9011, or at the timeout.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from functools import partial
from typing import Protocol

import structlog
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import SQLAlchemyError

from services.hj212_gateway.auth import DeviceRegistry
from services.hj212_gateway.metrics import GatewayMetrics
from services.standards import hj212
from services.standards.hj212 import Command, Frame, QnRtn
from services.standards.local_time import BEIJING_TIME

log = structlog.get_logger(__name__)

HOUR = timedelta(hours=1)


class Outcome(StrEnum):
    DONE = "done"  # 9012 arrived
    REFUSED = "refused"  # 9011 with QnRtn other than 1
    TIMEOUT = "timeout"
    NOT_CONNECTED = "not_connected"


@dataclass(frozen=True, slots=True)
class CommandResult:
    mn: str
    cn: int
    qn: str
    outcome: Outcome
    qn_rtn: int | None = None
    exe_rtn: int | None = None
    uploads: tuple[Mapping[str, str], ...] = ()  # CP items (besides factor values) of uploads with this QN
    records: int = 0  # data uploads with this QN (e.g. history records)


@dataclass(slots=True)
class _Exchange:
    mn: str
    cn: int
    future: asyncio.Future[Outcome]
    qn_rtn: int | None = None
    exe_rtn: int | None = None
    uploads: list[dict[str, str]] = field(default_factory=list)
    records: int = 0


class QnClock:
    """QN values ``YYYYMMDDhhmmsszzz`` (Beijing time), strictly increasing within the process."""

    def __init__(self) -> None:
        self._last_ms = 0

    def next(self) -> str:
        now_ms = max(int(time.time() * 1000), self._last_ms + 1)
        self._last_ms = now_ms
        moment = datetime.fromtimestamp(now_ms / 1000, BEIJING_TIME)
        return f"{moment:%Y%m%d%H%M%S}{now_ms % 1000:03d}"


class CommandTracker:
    """The open exchanges of one connection."""

    def __init__(self) -> None:
        self._open: dict[str, _Exchange] = {}

    def open(self, qn: str, mn: str, cn: int) -> asyncio.Future[Outcome]:
        future: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        self._open[qn] = _Exchange(mn, cn, future)
        return future

    def is_reply(self, frame: Frame) -> bool:
        return frame.cn in (Command.REQUEST_REPLY, Command.EXECUTION_RESULT)

    def observe(self, frame: Frame) -> bool:
        """Note a frame from the logger; True if it belongs to an open exchange."""
        exchange = self._open.get(frame.qn or "")
        if exchange is None or exchange.mn != frame.mn:
            return False
        if frame.cn == Command.REQUEST_REPLY:
            exchange.qn_rtn = _int(frame.extra.get("QnRtn"))
            if exchange.qn_rtn != QnRtn.READY:
                _finish(exchange, Outcome.REFUSED)
        elif frame.cn == Command.EXECUTION_RESULT:
            exchange.exe_rtn = _int(frame.extra.get("ExeRtn"))
            _finish(exchange, Outcome.DONE)
        else:
            exchange.records += 1
            if frame.extra:
                exchange.uploads.append(dict(frame.extra))
        return True

    def close(self, qn: str, outcome: Outcome | None) -> CommandResult:
        exchange = self._open.pop(qn)
        final = outcome if outcome is not None else exchange.future.result()
        return CommandResult(
            exchange.mn,
            exchange.cn,
            qn,
            final,
            exchange.qn_rtn,
            exchange.exe_rtn,
            tuple(exchange.uploads),
            exchange.records,
        )

    def abandon_all(self) -> None:
        for exchange in self._open.values():
            _finish(exchange, Outcome.NOT_CONNECTED)


def _finish(exchange: _Exchange, outcome: Outcome) -> None:
    if not exchange.future.done():
        exchange.future.set_result(outcome)


def _int(value: str | None) -> int | None:
    return int(value) if value is not None and value.isdigit() else None


class CommandChannel(Protocol):
    """What a connected logger's session offers the command centre."""

    async def send_command(self, frame: Frame, timeout: float) -> CommandResult: ...

    def command_identity(self, mn: str) -> tuple[int, str, int]:
        """(ST, PW, Flag version) the logger itself uses, for commands addressed to it."""
        ...


@dataclass(frozen=True, slots=True)
class Gap:
    begin: datetime  # first missing hour (period start)
    end: datetime  # last missing hour (period start), inclusive as in BeginTime/EndTime


_MISSING_HOURS = text(
    """
    select hour from generate_series(cast(:first as timestamptz), cast(:last as timestamptz), interval '1 hour') hour
    where not exists (
        select 1 from readings r where r.station = :station and r.time >= hour and r.time < hour + interval '1 hour'
    )
    order by hour
    """
)


def find_gaps(connection: Connection, station: str, *, now: datetime, days: int, grace: timedelta) -> list[Gap]:
    """Runs of whole hours in the last ``days`` days (up to ``now - grace``) without any reading of the station.

    Beijing time is a whole-hour offset, so UTC hour boundaries are its local hour boundaries.
    """
    last = (now - grace).astimezone(BEIJING_TIME).replace(minute=0, second=0, microsecond=0) - HOUR
    first = (now - timedelta(days=days)).astimezone(BEIJING_TIME).replace(minute=0, second=0, microsecond=0)
    hours = [row[0] for row in connection.execute(_MISSING_HOURS, {"first": first, "last": last, "station": station})]
    gaps: list[Gap] = []
    for hour in hours:
        local = hour.astimezone(BEIJING_TIME)
        if gaps and local - gaps[-1].end == HOUR:
            gaps[-1] = Gap(gaps[-1].begin, local)
        else:
            gaps.append(Gap(local, local))
    return gaps


class CommandBuilder(Protocol):
    def __call__(self, *, st: int, mn: str, pw: str, qn: str, version: int) -> Frame: ...


class CommandCenter:
    """Sends commands to connected loggers by MN and runs the history backfill."""

    def __init__(
        self, channels: Mapping[str, CommandChannel], *, timeout: float, metrics: GatewayMetrics, gaps: GapSource
    ) -> None:
        self._channels = channels
        self._timeout = timeout
        self._metrics = metrics
        self._gaps = gaps
        self._clock = QnClock()

    async def send(self, mn: str, builder: CommandBuilder) -> CommandResult:
        channel = self._channels.get(mn)
        if channel is None:
            return CommandResult(mn, 0, "", Outcome.NOT_CONNECTED)
        st, pw, version = channel.command_identity(mn)
        frame = builder(st=st, mn=mn, pw=pw, qn=self._clock.next(), version=version)
        result = await channel.send_command(frame, self._timeout)
        self._metrics.commands.labels(str(frame.cn), result.outcome.value).inc()
        return result

    async def get_time(self, mn: str) -> CommandResult:
        return await self.send(mn, hj212.get_time)

    async def set_time(self, mn: str, system_time: datetime) -> CommandResult:
        return await self.send(mn, partial(hj212.set_time, system_time=system_time))

    async def start_realtime(self, mn: str) -> CommandResult:
        return await self.send(mn, hj212.start_realtime)

    async def stop_realtime(self, mn: str) -> CommandResult:
        return await self.send(mn, hj212.stop_realtime)

    async def history(self, mn: str, begin: datetime, end: datetime) -> CommandResult:
        return await self.send(mn, partial(hj212.history_request, begin=begin, end=end))

    async def backfill(self, mn: str) -> list[CommandResult]:
        """One 2061 request per run of missing hours of the logger's station, oldest first."""
        if mn not in self._channels:
            return [CommandResult(mn, Command.HOURLY_DATA, "", Outcome.NOT_CONNECTED)]
        gaps = await self._gaps(mn)
        return [await self.history(mn, gap.begin, gap.end) for gap in gaps]

    async def backfill_connected(self) -> dict[str, list[CommandResult]]:
        return {mn: await self.backfill(mn) for mn in list(self._channels)}

    async def run_periodically(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            try:
                results = await self.backfill_connected()
            except SQLAlchemyError as error:
                log.warning("backfill round failed", error=str(error))
                continue
            log.info("backfill round", requests=sum(len(r) for r in results.values()), loggers=len(results))


class GapSource(Protocol):
    async def __call__(self, mn: str) -> list[Gap]: ...


def station_gaps(
    engine: Engine, registry: DeviceRegistry, *, days: int, grace: timedelta, max_requests: int
) -> GapSource:
    """The gaps of the station an MN reports for, at most ``max_requests`` runs, oldest first."""

    async def gaps(mn: str) -> list[Gap]:
        device = await registry.lookup(mn)
        if device is None:
            return []

        def query() -> list[Gap]:
            with engine.connect() as connection:
                return find_gaps(connection, device.station, now=datetime.now(BEIJING_TIME), days=days, grace=grace)

        return (await asyncio.to_thread(query))[:max_requests]

    return gaps
