"""A data logger that speaks HJ 212 over TCP to the platform's gateway (``envmon hj212-gateway``).

It uploads data frames and waits for the 9014 reply, and it obeys the platform's commands as a real
logger does: 1011/1012 get/set time, 2011/2012 start/stop real-time data, and 2061 history requests,
which it answers from the hourly records it has sent (``history``) with 9011 → data (same QN) → 9012.
Its values come from ``simulators.values`` (deterministic by seed, station and time). ``envmon simulate
--transport tcp`` drives one of these per station through ``simulators.transports.TcpTransport``.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

import structlog

from services.standards import hj212
from services.standards.hj212 import Command, CrcVariant, ExeRtn, Frame, FrameError, FrameReader, QnRtn
from services.standards.local_time import BEIJING_TIME
from services.standards.parameters import Kind
from simulators.messages import SYSTEM_CODES, hj212_values
from simulators.stations import StationSpec
from simulators.values import DEFAULT_SEED, sample

REPLY_TIMEOUT_SECONDS = 10.0
REALTIME_INTERVAL_SECONDS = 30.0
READ_CHUNK = 65_536
# A frame is tried this many times (reconnecting in between) before the logger gives up on it.
DELIVERY_ATTEMPTS = 5
RECONNECT_DELAY_SECONDS = 1.0
Values = Mapping[str, Mapping[str, Decimal | str]]

log = structlog.get_logger(__name__)

# Loggers that are not registry stations (tests, the benchmark fleet) report as a typical Class Ⅲ section.
TYPICAL_WATER_SECTION = StationSpec(code="SIM-WATER", kind=Kind.WATER, gateway="sim", target_class=3)


def station_values(
    moment: datetime, station: StationSpec = TYPICAL_WATER_SECTION, seed: int = DEFAULT_SEED
) -> dict[str, dict[str, Decimal | str]]:
    """The station's record at ``moment`` as HJ 212 factors (Avg and Flag), from ``simulators.values``."""
    return hj212_values(sample(seed, station, moment))


class QnSequence:
    """Unique increasing QN values for one logger."""

    def __init__(self) -> None:
        self._last_ms = 0

    def next(self, clock: datetime) -> str:
        now_ms = max(int(clock.timestamp() * 1000), self._last_ms + 1)
        self._last_ms = now_ms
        moment = datetime.fromtimestamp(now_ms / 1000, BEIJING_TIME)
        return f"{moment:%Y%m%d%H%M%S}{now_ms % 1000:03d}"


@dataclass(frozen=True, slots=True)
class LoggerIdentity:
    mn: str
    pw: str
    crc_variant: CrcVariant = CrcVariant.STANDARD
    version: int = 1
    station: StationSpec = TYPICAL_WATER_SECTION  # what it measures, for the values it generates
    seed: int = DEFAULT_SEED

    @property
    def st(self) -> int:
        return SYSTEM_CODES[self.station.kind]

    def values(self, moment: datetime) -> dict[str, dict[str, Decimal | str]]:
        return station_values(moment, self.station, self.seed)


class TcpDataLogger:
    def __init__(
        self,
        host: str,
        port: int,
        identity: LoggerIdentity,
        *,
        reply_timeout: float = REPLY_TIMEOUT_SECONDS,
        realtime_interval: float = REALTIME_INTERVAL_SECONDS,
    ) -> None:
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
        return datetime.now(BEIJING_TIME) + self.clock_offset

    @property
    def connected(self) -> bool:
        # The listener ends when the platform closes the connection, before any write would notice.
        alive = self._listener is not None and not self._listener.done()
        return alive and self._writer is not None and not self._writer.is_closing()

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

    def data_frame(
        self, cn: int, data_time: datetime, values: Values, *, qn: str | None = None, needs_reply: bool = True
    ) -> Frame:
        ident = self.identity
        return hj212.data_frame(
            st=ident.st,
            cn=cn,
            mn=ident.mn,
            pw=ident.pw,
            data_time=data_time,
            values=values,
            qn=qn or self._qn.next(self.now),
            needs_reply=needs_reply,
            version=ident.version,
        )

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
        """Upload one hourly record (CN 2061; the identity's generated values unless given)."""
        record = values if values is not None else self.identity.values(hour)
        return await self.upload(self.data_frame(Command.HOURLY_DATA, hour, record))

    async def upload(self, frame: Frame, encoded: bytes | None = None) -> Frame | None:
        """Send a data frame (``encoded`` as is, if given) and await its reply; hourly records are kept
        in ``history`` for later 2061 requests, as a logger's storage keeps them."""
        if frame.cn == Command.HOURLY_DATA and frame.data_time is not None:
            self.history[frame.data_time] = frame.values
        if encoded is None:
            return await self.send(frame)
        return await self.send_raw(encoded, expecting=frame)

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
        try:
            while data := await self._reader.read(READ_CHUNK):
                for item in frames.feed(data):
                    if isinstance(item, FrameError):
                        continue
                    try:
                        frame = hj212.parse(item, accept_modbus_crc=self.identity.crc_variant is CrcVariant.MODBUS)
                    except FrameError:
                        continue
                    await self._on_frame(frame)
        except (ConnectionError, OSError):
            pass  # a reset is a close: the pending uploads fail below and are retried on a new connection
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
            upload = hj212.Frame(
                qn=command.qn,
                st=self.identity.st,
                cn=Command.GET_TIME,
                pw=self.identity.pw,
                mn=self.identity.mn,
                flag=hj212.make_flag(version=self.identity.version, needs_reply=False),
                extra={"SystemTime": hj212.format_time(self.now)},
            )
            self._write(self.encode(upload))
        elif command.cn == Command.SET_TIME:
            self.clock_offset = hj212.parse_time(command.extra["SystemTime"]) - datetime.now(BEIJING_TIME)
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
            values = {
                code: {"Rtd": fields["Avg"], "Flag": fields["Flag"]}
                for code, fields in self.identity.values(now).items()
            }
            self._write(self.encode(self.data_frame(Command.REALTIME_DATA, now, values, needs_reply=False)))
            await asyncio.sleep(self.realtime_interval)


async def with_retries(logger: TcpDataLogger, attempt: Callable[[], Awaitable[Frame | None]]) -> Frame | None:
    """Run ``attempt`` (one send), reconnecting after a dropped connection or a missing reply, as a logger
    keeps a record until the platform has it. Raises the last error after ``DELIVERY_ATTEMPTS`` tries."""
    for tries in range(1, DELIVERY_ATTEMPTS + 1):
        try:
            if not logger.connected:
                await logger.connect()
            return await attempt()
        except (ConnectionError, OSError, TimeoutError) as error:
            log.warning("hj212 upload failed; reconnecting", mn=logger.identity.mn, attempt=tries, error=repr(error))
            await logger.close()
            if tries == DELIVERY_ATTEMPTS:
                raise
            await asyncio.sleep(RECONNECT_DELAY_SECONDS)
    raise AssertionError("unreachable: the last attempt returns or raises")


async def play(
    host: str, port: int, identity: LoggerIdentity, *, hours: int, interval: float = 0.0, start: datetime | None = None
) -> int:
    """Upload ``hours`` hourly records (oldest first, ending with the last full hour), ``interval`` seconds
    apart; reconnects after a dropped connection. Returns the number of records the platform acknowledged."""
    last_hour = (start or datetime.now(BEIJING_TIME)).replace(minute=0, second=0, microsecond=0)
    acknowledged = 0
    logger = TcpDataLogger(host, port, identity)
    try:
        for hour in (last_hour - timedelta(hours=n) for n in range(hours, 0, -1)):
            reply = await with_retries(logger, functools.partial(logger.upload_hour, hour))
            acknowledged += reply is not None and reply.cn == Command.DATA_REPLY
            if interval:
                await asyncio.sleep(interval)
    finally:
        await logger.close()
    return acknowledged
