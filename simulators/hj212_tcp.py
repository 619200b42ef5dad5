"""A data logger that speaks HJ 212 over TCP to the platform's gateway (``envmon hj212-gateway``).

It uploads data frames and waits for the 9014 reply, and it obeys the platform's commands as a real
logger does: 1011/1012 get/set time, 2011/2012 start/stop real-time data, and 2061 history requests,
which it answers from the hourly records it has sent (``history``) with 9011 → data (same QN) → 9012.
Self-contained: it needs only the codec in ``services.standards.hj212``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from services.standards import hj212
from services.standards.hj212 import Command, CrcVariant, ExeRtn, Frame, FrameError, FrameReader, QnRtn

REPLY_TIMEOUT_SECONDS = 10.0
READ_CHUNK = 65_536
Values = Mapping[str, Mapping[str, Decimal | str]]

# A plausible hourly water record (HJ 212 codes), varied a little by hour.
WATER_BASE: Mapping[str, Decimal] = {
    "w01001": Decimal("7.4"), "w01009": Decimal("7.2"), "w01019": Decimal("3.1"), "w21003": Decimal("0.42"),
    "w21011": Decimal("0.11"), "w01010": Decimal("18.5"),
}


def water_values(hour: datetime) -> dict[str, dict[str, Decimal | str]]:
    wobble = Decimal(hour.hour % 5) / 100
    return {code: {"Avg": base + wobble, "Flag": "N"} for code, base in WATER_BASE.items()}


class QnSequence:
    """Unique increasing QN values for one logger."""

    def __init__(self) -> None:
        self._last_ms = 0

    def next(self, clock: datetime) -> str:
        now_ms = max(int(clock.timestamp() * 1000), self._last_ms + 1)
        self._last_ms = now_ms
        moment = datetime.fromtimestamp(now_ms / 1000, hj212.SHANGHAI)
        return f"{moment:%Y%m%d%H%M%S}{now_ms % 1000:03d}"


@dataclass(frozen=True, slots=True)
class LoggerIdentity:
    mn: str
    pw: str
    st: int = hj212.SystemCode.SURFACE_WATER
    crc_variant: CrcVariant = CrcVariant.STANDARD
    version: int = 1


class TcpDataLogger:
    def __init__(self, host: str, port: int, identity: LoggerIdentity, *,
                 reply_timeout: float = REPLY_TIMEOUT_SECONDS, realtime_interval: float = 30.0) -> None:
        self.host, self.port, self.identity = host, port, identity
        self.reply_timeout = reply_timeout
        self.realtime_interval = realtime_interval
        self.history: dict[datetime, Values] = {}
        self.clock_offset = timedelta(0)
        self.commands_seen: list[Frame] = []
        self._qn = QnSequence()
        self._replies: dict[str, asyncio.Future[Frame]] = {}
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._listener: asyncio.Task[None] | None = None
        self._realtime: asyncio.Task[None] | None = None

    @property
    def now(self) -> datetime:
        return datetime.now(hj212.SHANGHAI) + self.clock_offset

    @property
    def connected(self) -> bool:
        return self._writer is not None and not self._writer.is_closing()

    async def connect(self) -> None:
        self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        self._listener = asyncio.create_task(self._listen())

    async def close(self) -> None:
        for task in (self._realtime, self._listener):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await self._writer.wait_closed()
        self._writer = None

    async def __aenter__(self) -> TcpDataLogger:
        await self.connect()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    # --- Uploads --------------------------------------------------------------------------------

    def data_frame(self, cn: int, data_time: datetime, values: Values, *, qn: str | None = None,
                   needs_reply: bool = True) -> Frame:
        ident = self.identity
        return hj212.data_frame(st=ident.st, cn=cn, mn=ident.mn, pw=ident.pw, data_time=data_time, values=values,
                                qn=qn or self._qn.next(self.now), needs_reply=needs_reply, version=ident.version)

    def encode(self, frame: Frame) -> bytes:
        return hj212.build(frame, crc_variant=self.identity.crc_variant)

    async def send(self, frame: Frame) -> Frame | None:
        """Send one frame; return the platform's reply (None if the frame asks for none).

        Raises ``TimeoutError`` when a reply is due but does not come.
        """
        waiter = self._expect(frame)
        self._write(self.encode(frame))
        return None if waiter is None else await self._await_reply(frame, waiter)

    async def send_raw(self, raw: bytes, expecting: Frame | None = None) -> Frame | None:
        """Write bytes as they are (split, coalesced, corrupted); optionally await the reply to ``expecting``."""
        waiter = self._expect(expecting) if expecting is not None else None
        self._write(raw)
        return None if waiter is None or expecting is None else await self._await_reply(expecting, waiter)

    async def upload_hour(self, hour: datetime, values: Values | None = None) -> Frame | None:
        """Upload one hourly record (CN 2061) and remember it for later history requests."""
        record = values if values is not None else water_values(hour)
        self.history[hour] = record
        return await self.send(self.data_frame(Command.HOURLY_DATA, hour, record))

    def _expect(self, frame: Frame) -> asyncio.Future[Frame] | None:
        if not frame.needs_reply or frame.qn is None:
            return None
        future: asyncio.Future[Frame] = asyncio.get_running_loop().create_future()
        self._replies[frame.qn] = future
        return future

    async def _await_reply(self, frame: Frame, waiter: asyncio.Future[Frame]) -> Frame:
        try:
            return await asyncio.wait_for(waiter, self.reply_timeout)
        finally:
            self._replies.pop(frame.qn or "", None)

    def _write(self, data: bytes) -> None:
        if self._writer is None:
            raise ConnectionError("not connected")
        self._writer.write(data)

    # --- The platform's frames ------------------------------------------------------------------

    async def _listen(self) -> None:
        assert self._reader is not None
        frames = FrameReader()
        while data := await self._reader.read(READ_CHUNK):
            for item in frames.feed(data):
                if isinstance(item, FrameError):
                    continue
                try:
                    frame = hj212.parse(item, accept_modbus_crc=self.identity.crc_variant is CrcVariant.MODBUS)
                except FrameError:
                    continue
                await self._on_frame(frame)
        for waiter in self._replies.values():
            if not waiter.done():
                waiter.set_exception(ConnectionError("the platform closed the connection"))

    async def _on_frame(self, frame: Frame) -> None:
        if frame.cn in (Command.DATA_REPLY, Command.REQUEST_REPLY, Command.NOTIFICATION_REPLY):
            waiter = self._replies.get(frame.qn or "")
            if waiter is not None and not waiter.done():
                waiter.set_result(frame)
            return
        self.commands_seen.append(frame)
        self._write(self.encode(hj212.request_reply(frame, QnRtn.READY)))
        outcome = await self._execute(frame)
        self._write(self.encode(hj212.execution_result(frame, outcome)))

    async def _execute(self, command: Frame) -> ExeRtn:
        if command.cn == Command.GET_TIME:
            upload = hj212.Frame(qn=command.qn, st=self.identity.st, cn=Command.GET_TIME, pw=self.identity.pw,
                                 mn=self.identity.mn, flag=hj212.make_flag(version=self.identity.version,
                                                                            needs_reply=False),
                                 extra={"SystemTime": hj212.format_time(self.now)})
            self._write(self.encode(upload))
        elif command.cn == Command.SET_TIME:
            self.clock_offset = hj212.parse_time(command.extra["SystemTime"]) - datetime.now(hj212.SHANGHAI)
        elif command.cn == Command.REALTIME_DATA:
            if self._realtime is None or self._realtime.done():
                self._realtime = asyncio.create_task(self._send_realtime())
        elif command.cn == Command.STOP_REALTIME_DATA:
            if self._realtime is not None:
                self._realtime.cancel()
        elif command.cn == Command.HOURLY_DATA:
            return self._resend_history(command)
        else:
            return ExeRtn.FAILED_UNKNOWN_REASON
        return ExeRtn.SUCCESS

    def _resend_history(self, command: Frame) -> ExeRtn:
        begin = hj212.parse_time(command.extra["BeginTime"])
        end = hj212.parse_time(command.extra["EndTime"])
        hours = sorted(hour for hour in self.history if begin <= hour <= end)
        for hour in hours:
            # History re-sends carry the request's QN and ask for no reply (the 9012 closes the exchange).
            frame = self.data_frame(Command.HOURLY_DATA, hour, self.history[hour], qn=command.qn, needs_reply=False)
            self._write(self.encode(frame))
        return ExeRtn.SUCCESS if hours else ExeRtn.NO_DATA

    async def _send_realtime(self) -> None:
        while True:
            now = self.now.replace(microsecond=0)
            values = {code: {"Rtd": fields["Avg"], "Flag": "N"} for code, fields in water_values(now).items()}
            self._write(self.encode(self.data_frame(Command.REALTIME_DATA, now, values, needs_reply=False)))
            await asyncio.sleep(self.realtime_interval)


async def play(host: str, port: int, identity: LoggerIdentity, *, hours: int, interval: float = 0.0,
               start: datetime | None = None) -> int:
    """Upload ``hours`` hourly records (oldest first, ending with the last full hour), ``interval`` seconds
    apart; reconnects after a dropped connection. Returns the number of records the platform acknowledged."""
    last_hour = (start or datetime.now(hj212.SHANGHAI)).replace(minute=0, second=0, microsecond=0)
    pending = [last_hour - timedelta(hours=n) for n in range(hours, 0, -1)]
    acknowledged = 0
    logger = TcpDataLogger(host, port, identity)
    try:
        while pending:
            if not logger.connected:
                await logger.connect()
            try:
                reply = await logger.upload_hour(pending[0])
            except (ConnectionError, OSError, TimeoutError):
                await logger.close()
                await asyncio.sleep(1.0)
                continue
            acknowledged += reply is not None and reply.cn == Command.DATA_REPLY
            pending.pop(0)
            if interval:
                await asyncio.sleep(interval)
    finally:
        await logger.close()
    return acknowledged
