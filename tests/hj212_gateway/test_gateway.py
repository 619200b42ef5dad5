"""The gateway process over real sockets, with the session broker and database behind it."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, func, insert, select

from services.standards import hj212
from services.standards.hj212 import Command, CrcVariant, Frame, FrameReader, QnRtn
from services.standards.local_time import BEIJING_TIME
from services.storage.schema import readings
from simulators.hj212_tcp import LoggerIdentity, TcpDataLogger, station_values
from tests.support.hj212_gateway import GatewayProcess, MqttTap, rejects
from tests.support.ingest import wait_for

pytestmark = pytest.mark.integration

SH = BEIJING_TIME
JINHUA = LoggerIdentity(mn="330681000000000000000001", pw="123456")  # PYJ-JINHUA, standard CRC only
YANGXUN = LoggerIdentity(mn="330603000000000000000003", pw="123456", crc_variant=CrcVariant.MODBUS)
JINHUA_TOPIC = "envmon/v1/PYJ-JINHUA/hj212"
HOUR = datetime(2026, 11, 27, 8, tzinfo=SH)


def logger(gateway: GatewayProcess, identity: LoggerIdentity = JINHUA) -> TcpDataLogger:
    return TcpDataLogger("127.0.0.1", gateway.tcp_port, identity, reply_timeout=5.0)


async def read_frames(reader: asyncio.StreamReader, count: int, timeout: float = 5.0) -> list[Frame]:
    """The next ``count`` frames the gateway writes (raw stream, no simulator in between)."""
    frames: list[Frame] = []
    splitter = FrameReader()
    async with asyncio.timeout(timeout):
        while len(frames) < count:
            data = await reader.read(4096)
            assert data, f"connection closed after {len(frames)} of {count} frames"
            frames += [
                hj212.parse(raw, accept_modbus_crc=True) for raw in splitter.feed(data) if isinstance(raw, bytes)
            ]
    return frames


async def closed_by_gateway(reader: asyncio.StreamReader, timeout: float = 5.0) -> bool:
    async with asyncio.timeout(timeout):
        while await reader.read(4096):
            pass
    return True


def test_hourly_upload_is_forwarded_then_acknowledged(gateway: GatewayProcess, tap: MqttTap) -> None:
    async def scenario() -> tuple[Frame, Frame | None]:
        async with logger(gateway) as station:
            frame = station.data_frame(Command.HOURLY_DATA, HOUR, station_values(HOUR))
            return frame, await station.send(frame)

    frame, reply = asyncio.run(scenario())
    assert reply is not None
    assert (reply.cn, reply.qn, reply.mn, reply.st) == (Command.DATA_REPLY, frame.qn, JINHUA.mn, 91)
    wait_for(lambda: bool(tap.on(JINHUA_TOPIC)), "the forwarded frame")
    forwarded = tap.on(JINHUA_TOPIC)
    assert [m.payload for m in forwarded] == [hj212.build(frame)]
    assert forwarded[0].gateway == "gw-pyj-jinhua"


def test_frames_split_across_reads_and_coalesced_in_one(gateway: GatewayProcess, tap: MqttTap) -> None:
    async def scenario() -> list[Frame]:
        reader, writer = await asyncio.open_connection("127.0.0.1", gateway.tcp_port)
        station = logger(gateway)
        frames = [
            station.data_frame(Command.HOURLY_DATA, HOUR + timedelta(hours=n), station_values(HOUR)) for n in range(4)
        ]
        first = hj212.build(frames[0])
        for start in range(0, len(first), 7):  # one frame dribbled in 7-byte writes
            writer.write(first[start : start + 7])
            await writer.drain()
            await asyncio.sleep(0.01)
        replies = await read_frames(reader, 1)
        writer.write(b"".join(hj212.build(f) for f in frames[1:]))  # three frames in one write
        replies += await read_frames(reader, 3)
        writer.close()
        assert [r.qn for r in replies] == [f.qn for f in frames]
        return replies

    replies = asyncio.run(scenario())
    assert {r.cn for r in replies} == {Command.DATA_REPLY}
    wait_for(lambda: len(tap.on(JINHUA_TOPIC)) == 4, "four forwarded frames")


def test_bad_crc_is_recorded_and_answered(gateway: GatewayProcess, db: Engine, tap: MqttTap) -> None:
    async def scenario() -> tuple[Frame, Frame | None, str]:
        async with logger(gateway) as station:
            frame = station.data_frame(Command.HOURLY_DATA, HOUR, station_values(HOUR))
            good = hj212.build(frame)
            corrupted = good[:-6] + (b"0000" if good[-6:-2] != b"0000" else b"FFFF") + b"\r\n"
            reply = await station.send_raw(corrupted, expecting=frame)
            assert station._writer is not None
            host, port = station._writer.get_extra_info("sockname")[:2]
            return frame, reply, f"tcp:{host}:{port}"

    frame, reply, topic = asyncio.run(scenario())
    assert reply is not None
    assert (reply.cn, reply.extra) == (Command.REQUEST_REPLY, {"QnRtn": str(QnRtn.CRC_ERROR.value)})
    wait_for(lambda: bool(rejects(db)), "the recorded reject")
    [reject] = rejects(db)
    assert (reject["reason"], reject["topic"], reject["gateway"]) == ("hj212_frame:crc", topic, None)
    assert reject["payload"][:-6] == hj212.build(frame)[:-6]
    assert tap.on(JINHUA_TOPIC) == []


def test_unknown_mn_is_refused_and_the_connection_closed_after_the_limit(gateway: GatewayProcess, db: Engine) -> None:
    stranger = LoggerIdentity(mn="999999000000000000000001", pw="123456")

    async def scenario() -> list[Frame]:
        reader, writer = await asyncio.open_connection("127.0.0.1", gateway.tcp_port)
        station = logger(gateway, stranger)
        frames = [station.data_frame(Command.HOURLY_DATA, HOUR, station_values(HOUR)) for _ in range(3)]
        writer.write(b"".join(hj212.build(f) for f in frames))
        replies = await read_frames(reader, 3)
        assert await closed_by_gateway(reader)
        writer.close()
        return replies

    replies = asyncio.run(scenario())
    assert [r.extra["QnRtn"] for r in replies] == [str(QnRtn.MN_ERROR.value)] * 3
    wait_for(lambda: len(rejects(db)) == 3, "three rejects")
    assert {r["reason"] for r in rejects(db)} == {"hj212_unknown_mn"}
    assert gateway.metric("envmon_hj212_connections_closed_total", cause="too_many_bad_frames") >= 1


def test_wrong_password_is_refused(gateway: GatewayProcess, db: Engine, tap: MqttTap) -> None:
    async def scenario() -> Frame | None:
        async with logger(gateway, LoggerIdentity(mn=JINHUA.mn, pw="000000")) as station:
            return await station.upload_hour(HOUR)

    reply = asyncio.run(scenario())
    assert reply is not None and reply.extra == {"QnRtn": str(QnRtn.PW_ERROR.value)}
    wait_for(lambda: bool(rejects(db)), "the reject")
    assert [(r["reason"], r["gateway"], r["station"]) for r in rejects(db)] == [
        ("hj212_bad_password", "gw-pyj-jinhua", "PYJ-JINHUA")
    ]
    assert tap.on(JINHUA_TOPIC) == []


def test_wrong_passwords_are_checked_once_then_throttled_per_mn_and_address(
    gateway: GatewayProcess, db: Engine, fleet: list[LoggerIdentity]
) -> None:
    """A repeated wrong PW is answered from memory (one PBKDF2 derivation, not one per frame); a new
    guess right after a failure is not derived at all, and says so."""
    mn = fleet[-1].mn

    async def scenario() -> list[Frame | None]:
        replies = []
        for pw in ("000001", "000001", "000002"):
            async with logger(gateway, LoggerIdentity(mn=mn, pw=pw)) as station:
                replies.append(await station.upload_hour(HOUR))
        return replies

    replies = asyncio.run(scenario())
    assert [reply and reply.extra for reply in replies] == [{"QnRtn": str(QnRtn.PW_ERROR.value)}] * 3
    wait_for(lambda: len(rejects(db)) == 3, "the rejects")
    reasons = [r["reason"] for r in rejects(db)]
    assert reasons == ["hj212_bad_password", "hj212_bad_password", "hj212_password_throttled"]


def test_modbus_crc_only_from_gateways_configured_for_it(gateway: GatewayProcess, db: Engine, tap: MqttTap) -> None:
    modbus_jinhua = LoggerIdentity(mn=JINHUA.mn, pw="123456", crc_variant=CrcVariant.MODBUS)

    async def scenario() -> tuple[Frame | None, Frame | None]:
        async with logger(gateway, YANGXUN) as yangxun, logger(gateway, modbus_jinhua) as jinhua:
            return await yangxun.upload_hour(HOUR), await jinhua.upload_hour(HOUR)

    accepted, refused = asyncio.run(scenario())
    assert accepted is not None and accepted.cn == Command.DATA_REPLY
    assert accepted.crc_variant is CrcVariant.MODBUS  # answered in the device's own CRC
    assert refused is not None and refused.extra == {"QnRtn": str(QnRtn.CRC_ERROR.value)}
    wait_for(lambda: bool(tap.on("envmon/v1/XXJ-YANGXUN/hj212")), "the Yangxun frame")
    [forwarded] = tap.on("envmon/v1/XXJ-YANGXUN/hj212")
    assert hj212.parse(forwarded.payload).crc_variant is CrcVariant.STANDARD  # rebuilt for downstream
    wait_for(lambda: bool(rejects(db)), "the reject")
    assert [(r["reason"], r["station"]) for r in rejects(db)] == [("hj212_frame:crc", "PYJ-JINHUA")]
    assert tap.on(JINHUA_TOPIC) == []


def test_split_packets_are_reassembled_into_one_forwarded_frame(gateway: GatewayProcess, tap: MqttTap) -> None:
    values = station_values(HOUR)
    codes = list(values)
    parts = [codes[0:2], codes[2:4], codes[4:]]

    async def scenario() -> list[Frame]:
        reader, writer = await asyncio.open_connection("127.0.0.1", gateway.tcp_port)
        station = logger(gateway)
        qn = "20261127080000123"
        packets = [
            as_packet(station.data_frame(Command.HOURLY_DATA, HOUR, {c: values[c] for c in part}, qn=qn), n + 1, 3)
            for n, part in enumerate(parts)
        ]
        for packet in packets[:2]:
            writer.write(hj212.build(packet))
        await writer.drain()
        await asyncio.sleep(0.3)
        assert tap.on(JINHUA_TOPIC) == []  # nothing forwarded while the group is incomplete
        writer.write(hj212.build(packets[2]))
        replies = await read_frames(reader, 3)
        writer.close()
        return replies

    replies = asyncio.run(scenario())
    assert [r.cn for r in replies] == [Command.DATA_REPLY] * 3
    wait_for(lambda: bool(tap.on(JINHUA_TOPIC)), "the merged frame")
    [merged] = tap.on(JINHUA_TOPIC)
    frame = hj212.parse(merged.payload)
    assert (frame.pnum, frame.pno, frame.has_packets) == (None, None, False)
    assert frame.values == values


def as_packet(frame: Frame, pno: int, pnum: int) -> Frame:
    return replace(frame, flag=frame.flag | hj212.FLAG_PACKETS, pnum=pnum, pno=pno)


def test_a_logger_that_reconnects_is_served_and_commanded_on_its_new_connection(
    gateway: GatewayProcess, tap: MqttTap
) -> None:
    async def scenario() -> dict[str, Any]:
        first = logger(gateway)
        await first.connect()
        assert await first.upload_hour(HOUR) is not None
        await first.close()
        async with logger(gateway) as second:
            assert await second.upload_hour(HOUR + timedelta(hours=1)) is not None
            async with httpx.AsyncClient(base_url=gateway.http) as http:
                response = await http.post(f"/loggers/{JINHUA.mn}/get-time", timeout=10)
            return dict(response.json())

    result = asyncio.run(scenario())
    assert result["outcome"] == "done"
    assert result["qn_rtn"] == QnRtn.READY and result["exe_rtn"] == 1
    [upload] = result["uploads"]
    system_time = hj212.parse_time(upload["SystemTime"])
    assert abs(system_time - datetime.now(SH)) < timedelta(seconds=5)
    wait_for(lambda: len(tap.on(JINHUA_TOPIC)) == 2, "both uploads")


def test_set_time_and_real_time_data_commands(gateway: GatewayProcess, tap: MqttTap) -> None:
    target = datetime(2026, 11, 27, 9, 30, tzinfo=SH)

    async def scenario() -> tuple[list[dict[str, object]], timedelta]:
        async with logger(gateway) as station, httpx.AsyncClient(base_url=gateway.http, timeout=10) as http:
            station.realtime_interval = 0.1
            await station.upload_hour(HOUR)  # introduces the logger to the gateway
            results = [
                (await http.post(f"/loggers/{JINHUA.mn}/set-time", json={"system_time": target.isoformat()})).json()
            ]
            results.append((await http.post(f"/loggers/{JINHUA.mn}/start-realtime")).json())
            await asyncio.sleep(0.5)
            results.append((await http.post(f"/loggers/{JINHUA.mn}/stop-realtime")).json())
            return results, station.now - target

    results, drift = asyncio.run(scenario())
    assert [r["outcome"] for r in results] == ["done"] * 3
    assert [r["cn"] for r in results] == [Command.SET_TIME, Command.REALTIME_DATA, Command.STOP_REALTIME_DATA]
    assert timedelta(0) <= drift < timedelta(seconds=5)
    realtime = [hj212.parse(m.payload) for m in tap.on(JINHUA_TOPIC)]
    assert sum(f.cn == Command.REALTIME_DATA for f in realtime) >= 2


def test_commands_to_an_absent_logger_report_not_connected(gateway: GatewayProcess) -> None:
    response = httpx.post(f"{gateway.http}/loggers/330681000000000000000004/get-time", timeout=10)
    assert response.json()["outcome"] == "not_connected"


def test_a_partial_frame_that_never_completes_is_cut_off(gateway: GatewayProcess) -> None:
    async def scenario() -> bool:
        reader, writer = await asyncio.open_connection("127.0.0.1", gateway.tcp_port)
        writer.write(b"##0101QN=2016")
        closed = await closed_by_gateway(reader, timeout=6.0)
        writer.close()
        return closed

    assert asyncio.run(scenario())
    assert gateway.metric("envmon_hj212_connections_closed_total", cause="partial_frame_timeout") >= 1


def test_a_slow_drip_is_cut_off_at_the_whole_frame_deadline(gateway: GatewayProcess) -> None:
    """Slowloris: a byte every 0.25 s never leaves one read waiting for the 2 s deadline, so only a
    deadline over the whole frame closes the connection; it must close while the frame is far from
    complete (at 4 bytes/s, 2 s is 8 bytes; 40 allows for a loaded machine, a per-read limit never closes)."""
    drip = b"##0101QN=" + b"2" * 200

    async def scenario() -> int:
        reader, writer = await asyncio.open_connection("127.0.0.1", gateway.tcp_port)
        try:
            for sent in range(1, len(drip) + 1):
                writer.write(drip[sent - 1 : sent])
                with contextlib.suppress(TimeoutError):
                    if await asyncio.wait_for(reader.read(4096), 0.25) == b"":
                        return sent
            return len(drip)
        except ConnectionError:
            return sent
        finally:
            writer.close()

    assert asyncio.run(scenario()) < 40
    assert gateway.metric("envmon_hj212_connections_closed_total", cause="partial_frame_timeout") >= 1


def test_numbers_reach_the_broker_exactly(gateway: GatewayProcess, tap: MqttTap) -> None:
    values: dict[str, dict[str, Decimal | str]] = {"w21003": {"Avg": Decimal("0.150"), "Flag": "N"}}

    async def scenario() -> None:
        async with logger(gateway) as station:
            await station.upload_hour(HOUR, values)

    asyncio.run(scenario())
    wait_for(lambda: bool(tap.on(JINHUA_TOPIC)), "the frame")
    assert hj212.parse(tap.on(JINHUA_TOPIC)[0].payload).values == values


def test_backfill_requests_the_hours_the_station_is_missing(gateway: GatewayProcess, db: Engine) -> None:
    anhua = LoggerIdentity(mn="330681000000000000000002", pw="123456")
    now = datetime.now(SH)
    first = (now - timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    last = (now - timedelta(hours=2)).replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    hours = [first + timedelta(hours=n) for n in range(-2, int((last - first) / timedelta(hours=1)) + 3)]
    gaps = [[first + timedelta(hours=5), first + timedelta(hours=6)], [first + timedelta(hours=10)]]
    missing = {hour for gap in gaps for hour in gap}
    with db.begin() as connection:
        connection.execute(
            insert(readings),
            [
                {"time": hour, "station": "PYJ-ANHUA", "parameter": "ph", "value": 7.1, "source": "hj212"}
                for hour in hours
                if hour not in missing
            ],
        )

    async def scenario() -> list[dict[str, Any]]:
        async with logger(gateway, anhua) as station, httpx.AsyncClient(base_url=gateway.http, timeout=30) as http:
            station.history = {hour: station_values(hour) for hour in hours}
            await station.upload_hour(hours[3])  # introduces the logger; that hour is stored already
            return list((await http.post(f"/loggers/{anhua.mn}/backfill")).json())

    results = asyncio.run(scenario())
    assert [(r["outcome"], r["exe_rtn"], r["records"]) for r in results] == [("done", 1, 2), ("done", 1, 1)]
    expected = len(missing) * len(station_values(first))
    wait_for(lambda: stored_at(db, "PYJ-ANHUA", missing) == expected, "the backfilled hours in readings")


def stored_at(engine: Engine, station: str, hours: set[datetime]) -> int:
    with engine.connect() as connection:
        return int(
            connection.execute(
                select(func.count())
                .select_from(readings)
                .where(readings.c.station == station, readings.c.time.in_(sorted(hours)))
            ).scalar_one()
        )
