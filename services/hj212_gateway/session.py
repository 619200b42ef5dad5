"""One logger connection: split the stream into frames, check and authenticate each, forward data
frames to the broker, and answer the logger once the broker has accepted them.

Split packets (Flag bit D, PNUM/PNO) are reassembled first and forwarded as ONE frame rebuilt with
``build()`` (split again by factor only if it would exceed the length limit); the 9014 replies of all
its packets go out once the broker has accepted it. Unsplit frames with the standard CRC are
forwarded byte for byte; MODBUS-CRC frames (allowed per gateway) are rebuilt with the standard CRC,
so downstream consumers need no per-device CRC setting.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import MutableMapping
from dataclasses import dataclass, replace

import structlog

from services.common.topics import hj212_topic
from services.hj212_gateway.auth import AuthFailure, DeviceRegistry, SessionAuthenticator
from services.hj212_gateway.commands import CommandResult, CommandTracker, Outcome
from services.hj212_gateway.forwarder import Forwarder
from services.hj212_gateway.metrics import GatewayMetrics
from services.hj212_gateway.rejects import GatewayRejectReason, RejectRecord, RejectRecorder
from services.standards.hj212 import (
    Command,
    CrcVariant,
    Frame,
    FrameError,
    FrameErrorReason,
    FrameReader,
    PacketAssembler,
    QnRtn,
    build,
    crc16,
    data_reply,
    notification_reply,
    parse,
    request_reply,
)
from services.storage.hj212_devices import Hj212Device

log = structlog.get_logger(__name__)

# Small enough that 5,000 idle-but-full connections stay bounded (see server.READ_LIMIT); a frame is ≤ 10 KB.
READ_CHUNK = 16_384
# A peer that sends frames but never reads our replies would make us buffer them without end.
MAX_UNREAD_REPLY_BYTES = 1_048_576
FORWARDED_COMMANDS = frozenset({Command.REALTIME_DATA, Command.MINUTE_DATA, Command.HOURLY_DATA, Command.DAILY_DATA})
AUTH_REPLY_CODES = {
    AuthFailure.UNKNOWN_MN: QnRtn.MN_ERROR,
    AuthFailure.NO_PASSWORD: QnRtn.PW_ERROR,
    AuthFailure.BAD_PASSWORD: QnRtn.PW_ERROR,
    AuthFailure.PASSWORD_THROTTLED: QnRtn.PW_ERROR,
}


@dataclass(frozen=True, slots=True)
class SessionLimits:
    max_data_length: int
    idle_timeout: float
    partial_frame_timeout: float
    max_bad_frames: int
    reply_timeout: float
    pending_packet_groups: int


@dataclass(frozen=True, slots=True)
class GatewayContext:
    limits: SessionLimits
    registry: DeviceRegistry
    forwarder: Forwarder
    recorder: RejectRecorder
    metrics: GatewayMetrics
    channels: MutableMapping[str, Session]  # MN → the logger's newest connection


@dataclass(frozen=True, slots=True)
class _Identity:
    st: int
    pw: str
    version: int


class Session:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, context: GatewayContext) -> None:
        self._reader = reader
        self._writer = writer
        self._context = context
        self._limits = context.limits
        host, port = writer.get_extra_info("peername")[:2]
        self.peer = f"{host}:{port}"
        self._topic = f"tcp:{self.peer}"
        self._frames = FrameReader(max_data_length=self._limits.max_data_length)
        self._packets = PacketAssembler(max_pending=self._limits.pending_packet_groups)
        self._packet_waiters: dict[tuple[str, int, str | None], list[Frame]] = {}
        self._auth = SessionAuthenticator(context.registry, str(host))
        self._commands = CommandTracker()
        self._identities: dict[str, _Identity] = {}
        self._bad_frames = 0
        self._chunk = b""

    # --- Connection life ------------------------------------------------------------------------

    def close(self) -> None:
        """Close the socket (gateway shutdown); :meth:`run` then ends at its next read."""
        self._writer.close()

    async def run(self) -> None:
        metrics = self._context.metrics
        metrics.connections.inc()
        metrics.connections_total.inc()
        cause = "error"
        try:
            cause = await self._serve()
        except (ConnectionError, OSError) as error:
            cause = "connection_error"
            log.info("logger connection failed", peer=self.peer, error=str(error))
        except Exception:  # a bug must cost one connection, never the listener
            cause = "internal_error"
            log.exception("session failed", peer=self.peer)
        finally:
            metrics.connections.dec()
            metrics.connections_closed.labels(cause).inc()
            self._commands.abandon_all()
            for mn in self._identities:
                if self._context.channels.get(mn) is self:
                    del self._context.channels[mn]
            self._writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await self._writer.wait_closed()

    async def _serve(self) -> str:
        # When we began waiting for the rest of a started frame. The deadline covers the whole frame,
        # not each read: a 1 byte/s drip would otherwise stay connected for ever. It starts when we
        # wait, so time we spend forwarding (e.g. held back while the broker is away) is not charged.
        frame_started: float | None = None
        while True:
            if self._frames.buffered == 0:
                frame_started = None
            elif frame_started is None:
                frame_started = time.monotonic()
            if frame_started is None:
                timeout = self._limits.idle_timeout
            else:
                timeout = frame_started + self._limits.partial_frame_timeout - time.monotonic()
            try:
                self._chunk = await asyncio.wait_for(self._reader.read(READ_CHUNK), max(timeout, 0.0))
            except TimeoutError:
                return "idle_timeout" if frame_started is None else "partial_frame_timeout"
            if not self._chunk:
                return "closed_by_peer"
            items = self._frames.feed(self._chunk)
            if items:
                frame_started = None  # a frame ended: whatever follows is a new frame with its own deadline
            for item in items:
                if isinstance(item, FrameError):
                    self._refuse(item.reason, str(item), self._chunk)
                else:
                    await self._handle(item)
                if self._bad_frames >= self._limits.max_bad_frames:
                    log.warning("closing a connection after too many bad frames", peer=self.peer)
                    return "too_many_bad_frames"
            if self._writer.transport.get_write_buffer_size() > MAX_UNREAD_REPLY_BYTES:
                return "replies_not_read"

    # --- Frames ---------------------------------------------------------------------------------

    async def _handle(self, raw: bytes) -> None:
        received = time.monotonic()
        try:
            frame = parse(raw, accept_modbus_crc=True)
        except FrameError as error:
            self._refuse(error.reason, str(error), raw)
            self._answer_unparsed(raw, error)
            return
        device, failure = await self._auth.authenticate(frame.mn, frame.pw)
        if failure is not None or device is None:
            failure = failure or AuthFailure.UNKNOWN_MN
            self._refuse_frame(raw, failure.value, f"MN {frame.mn}: {failure.value}", device)
            self._answer(frame, request_reply(frame, AUTH_REPLY_CODES[failure]))
            return
        if frame.crc_variant is CrcVariant.MODBUS and not device.accept_modbus_crc:
            detail = f"MODBUS CRC from MN {frame.mn}, whose gateway is not configured to accept it"
            self._refuse_frame(raw, GatewayRejectReason.MODBUS_CRC_NOT_ALLOWED, detail, device)
            self._answer(frame, request_reply(frame, QnRtn.CRC_ERROR))
            return
        self._bind(frame, device)
        await self._dispatch(frame, raw, device, received)

    async def _dispatch(self, frame: Frame, raw: bytes, device: Hj212Device, received: float) -> None:
        metrics = self._context.metrics
        metrics.frames.labels(str(frame.cn)).inc()
        if frame.crc_variant is CrcVariant.MODBUS:
            metrics.modbus_crc.labels(frame.mn).inc()
        in_exchange = self._commands.observe(frame)
        if frame.cn in FORWARDED_COMMANDS:
            await self._forward(frame, raw, device, received)
        elif frame.cn == Command.HEARTBEAT:
            if frame.needs_reply:
                self._answer(frame, notification_reply(frame))
        elif in_exchange:
            if frame.needs_reply and not self._commands.is_reply(frame):
                self._answer(frame, data_reply(frame))
        else:
            # Not a bad frame (the logger is legitimate), but nothing downstream would use it.
            self._record(GatewayRejectReason.UNSUPPORTED_COMMAND, f"CN {frame.cn} is not forwarded", raw, device)
            self._answer(frame, request_reply(frame, QnRtn.CN_ERROR))

    async def _forward(self, frame: Frame, raw: bytes, device: Hj212Device, received: float) -> None:
        collected = self._collect_packet(frame, raw, device)
        if collected is None:
            return
        to_acknowledge, complete = collected
        payloads = self._payloads(frame, complete, raw, device)
        if not payloads:
            return
        forwarder = self._context.forwarder
        topic = hj212_topic(device.station)
        # Waits while the forward queue is full (backpressure), before the reply timeout starts.
        acks = [await forwarder.publish(topic, payload, gateway=device.gateway) for payload in payloads]
        # asyncio.wait, not wait_for(gather): a frame still queued in paho keeps its future (and its slot).
        done, pending = await asyncio.wait(acks, timeout=self._limits.reply_timeout)
        if pending:
            self._context.metrics.reply_timeouts.inc()
            log.warning("no PUBACK in time; the logger gets no reply", mn=frame.mn, qn=frame.qn, peer=self.peer)
            return
        refused = next((error for error in (ack.exception() for ack in done) if error is not None), None)
        if refused is not None:
            self._record(GatewayRejectReason.BROKER_REFUSED, f"broker refused the frame: {refused}", raw, device)
            return
        self._context.metrics.forwarded.inc(len(payloads))
        for packet in to_acknowledge:
            self._answer(packet, data_reply(packet))
        self._context.metrics.reply_latency.observe(time.monotonic() - received)

    def _collect_packet(
        self, frame: Frame, raw: bytes, device: Hj212Device
    ) -> tuple[list[Frame], tuple[Frame, ...]] | None:
        """(frames to acknowledge, complete frames to forward), or None while a packet group is incomplete."""
        if not frame.has_packets:
            return [frame], (frame,)
        key = (frame.mn, frame.cn, frame.qn)
        waiting = self._packet_waiters.pop(key, [])
        evicted_before = self._packets.evicted
        complete = self._packets.add(frame)
        if self._packets.evicted > evicted_before:
            waiting = self._drop_packet_group(frame, waiting, raw, device)
        waiting.append(frame)
        if not complete:
            self._packet_waiters[key] = waiting
            return None
        return waiting, complete

    def _drop_packet_group(self, frame: Frame, waiting: list[Frame], raw: bytes, device: Hj212Device) -> list[Frame]:
        # The assembler drops either this key's group (its PNUM changed) or the stalest other one.
        if waiting and waiting[0].pnum != frame.pnum:
            dropped, waiting = waiting, []
        else:
            stalest = next(iter(self._packet_waiters), None)
            dropped = self._packet_waiters.pop(stalest, []) if stalest is not None else []
        detail = f"incomplete packet group dropped ({len(dropped)} packets, QN {dropped[0].qn if dropped else '?'})"
        self._record(GatewayRejectReason.PACKET_GROUP_DROPPED, detail, raw, device)
        return waiting

    def _payloads(self, frame: Frame, complete: tuple[Frame, ...], raw: bytes, device: Hj212Device) -> list[bytes]:
        if not frame.has_packets and frame.crc_variant is CrcVariant.STANDARD:
            return [raw]
        try:
            return [payload for one in complete for payload in build_within_limit(one)]
        except FrameError as error:
            self._record(GatewayRejectReason.REPACK_FAILED, str(error), raw, device)
            return []

    # --- Identity and commands ------------------------------------------------------------------

    def _bind(self, frame: Frame, device: Hj212Device) -> None:
        self._identities[frame.mn] = _Identity(frame.st, frame.pw, frame.version)
        channels = self._context.channels
        if channels.get(frame.mn) is not self:
            channels[frame.mn] = self
            log.info("logger online", mn=frame.mn, station=device.station, peer=self.peer)

    def command_identity(self, mn: str) -> tuple[int, str, int]:
        identity = self._identities[mn]
        return identity.st, identity.pw, identity.version

    async def send_command(self, frame: Frame, timeout: float) -> CommandResult:
        assert frame.qn is not None
        done = self._commands.open(frame.qn, frame.mn, frame.cn)
        outcome: Outcome | None = None
        try:
            self._writer.write(build(frame))
            await asyncio.wait_for(asyncio.shield(done), timeout)
        except TimeoutError:
            outcome = Outcome.TIMEOUT
        return self._commands.close(frame.qn, outcome)

    # --- Replies and rejects --------------------------------------------------------------------

    def _answer(self, request: Frame, reply: Frame) -> None:
        if request.needs_reply:
            self._writer.write(build(reply, crc_variant=request.crc_variant))

    def _answer_unparsed(self, raw: bytes, error: FrameError) -> None:
        """A frame whose only fault is its CRC still names who sent it: tell the logger (QnRtn 9)."""
        if error.reason is not FrameErrorReason.CRC:
            return
        try:
            frame = parse(raw[:-6] + b"%04X\r\n" % crc16(raw[6:-6]))
        except FrameError:
            return
        self._answer(frame, request_reply(frame, QnRtn.CRC_ERROR))

    def _refuse(self, reason: FrameErrorReason, detail: str, payload: bytes) -> None:
        self._bad_frames += 1
        self._record(f"{GatewayRejectReason.FRAME}:{reason}", detail, payload, None)

    def _refuse_frame(self, raw: bytes, reason: str, detail: str, device: Hj212Device | None) -> None:
        self._bad_frames += 1
        self._record(reason, detail, raw, device)

    def _record(self, reason: str, detail: str, payload: bytes, device: Hj212Device | None) -> None:
        self._context.recorder.record(
            RejectRecord(
                topic=self._topic,
                reason=reason,
                detail=detail,
                payload=payload,
                gateway=device.gateway if device else None,
                station=device.station if device else None,
            )
        )


def build_within_limit(frame: Frame) -> list[bytes]:
    """``build(frame)``, or several frames with the factors shared out if one would be too long."""
    try:
        return [build(frame)]
    except FrameError as error:
        codes = list(frame.values)
        if error.reason is not FrameErrorReason.TOO_LONG or len(codes) < 2:
            raise
    half = len(codes) // 2
    first = replace(frame, values={code: frame.values[code] for code in codes[:half]})
    second = replace(frame, values={code: frame.values[code] for code in codes[half:]})
    return build_within_limit(first) + build_within_limit(second)
