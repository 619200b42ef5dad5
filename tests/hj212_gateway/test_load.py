"""Many loggers at once, hostile byte streams, and the end-to-end path into the readings table."""

from __future__ import annotations

import asyncio
import threading
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select

from devstack.hj212_fleet import FLEET_PREFIX, fleet_logger
from services.standards import hj212
from services.standards.hj212 import Command
from services.standards.local_time import BEIJING_TIME
from services.storage.schema import readings
from simulators.hj212_tcp import LoggerIdentity, TcpDataLogger, station_values
from tests.support.hj212_gateway import GatewayProcess
from tests.support.ingest import wait_for

pytestmark = pytest.mark.integration

SH = BEIJING_TIME
HOURS_PER_LOGGER = 3
FIRST_HOUR = datetime(2026, 11, 27, 5, tzinfo=SH)
GOOD = LoggerIdentity(mn="330681000000000000000002", pw="123456")  # PYJ-ANHUA


def stored(engine: Engine, station_like: str) -> int:
    with engine.connect() as connection:
        return int(
            connection.execute(
                select(func.count()).select_from(readings).where(readings.c.station.like(station_like))
            ).scalar_one()
        )


async def hourly_uploads(gateway: GatewayProcess, identity: LoggerIdentity, start: asyncio.Event) -> list[int]:
    async with TcpDataLogger("127.0.0.1", gateway.tcp_port, identity, reply_timeout=60.0) as station:
        await start.wait()
        replies = [await station.upload_hour(FIRST_HOUR + timedelta(hours=n)) for n in range(HOURS_PER_LOGGER)]
    return [reply.cn if reply else 0 for reply in replies]


def test_500_concurrent_loggers_are_acknowledged_and_stored(
    gateway: GatewayProcess, fleet: list[LoggerIdentity], db: Engine
) -> None:
    async def scenario() -> list[list[int]]:
        start = asyncio.Event()
        tasks = [asyncio.create_task(hourly_uploads(gateway, identity, start)) for identity in fleet]
        async with asyncio.timeout(30):
            while gateway.metric("envmon_hj212_open_connections") < len(fleet):
                await asyncio.sleep(0.2)
        start.set()  # all 500 connected: now they upload at the same time
        return await asyncio.gather(*tasks)

    outcomes = asyncio.run(scenario())
    assert outcomes == [[Command.DATA_REPLY] * HOURS_PER_LOGGER] * len(fleet)
    expected = len(fleet) * HOURS_PER_LOGGER * len(station_values(FIRST_HOUR))
    wait_for(lambda: stored(db, f"{FLEET_PREFIX}-%") == expected, f"{expected} stored readings", timeout=60)
    with db.connect() as connection:
        row = connection.execute(
            select(readings.c.value, readings.c.source, readings.c.gateway).where(
                readings.c.station == fleet_logger(7).station,
                readings.c.parameter == "ph",
                readings.c.time == FIRST_HOUR,
            )
        ).one()
    sent = station_values(FIRST_HOUR)["w01001"]["Avg"]
    assert (Decimal(str(row.value)), row.source, row.gateway) == (sent, "hj212", "gw-hjt-0007")
    assert gateway.metric("envmon_hj212_frames_total", cn="2061") >= len(fleet) * HOURS_PER_LOGGER


def valid_frame(hour: int) -> bytes:
    identity = LoggerIdentity(mn=GOOD.mn, pw=GOOD.pw)
    moment = FIRST_HOUR + timedelta(hours=hour)
    frame = hj212.data_frame(
        st=21,
        cn=Command.HOURLY_DATA,
        mn=identity.mn,
        pw=identity.pw,
        data_time=moment,
        values=station_values(moment),
        qn=f"2026112700000{hour:04d}",
    )
    return hj212.build(frame)


def mutated(data: bytes, position: int, byte: int) -> bytes:
    index = position % len(data)
    return data[:index] + bytes([byte]) + data[index + 1 :]


pieces = st.one_of(
    st.binary(max_size=200),
    st.builds(valid_frame, st.integers(0, 3)),
    st.builds(mutated, st.builds(valid_frame, st.integers(0, 3)), st.integers(0, 2000), st.integers(0, 255)),
    st.builds(
        lambda digits, body: b"##" + digits.encode() + body,
        st.text("0123456789", min_size=4, max_size=4),
        st.binary(max_size=100),
    ),
    st.sampled_from([b"##", b"#", b"\r\n", b"##9999", b"CP=&&", b"\x00" * 64]),
)


class GoodLogger(threading.Thread):
    """A well-behaved logger uploading hour after hour, in its own event loop, while the fuzzing runs."""

    def __init__(self, gateway: GatewayProcess) -> None:
        super().__init__(daemon=True)
        self.gateway = gateway
        self.replies: list[int] = []
        self.stop = threading.Event()

    def run(self) -> None:
        asyncio.run(self._upload())

    async def _upload(self) -> None:
        async with TcpDataLogger("127.0.0.1", self.gateway.tcp_port, GOOD, reply_timeout=10.0) as station:
            hour = 0
            while not self.stop.is_set():
                reply = await station.upload_hour(FIRST_HOUR + timedelta(hours=hour % 24))
                self.replies.append(reply.cn if reply else 0)
                hour += 1
                await asyncio.sleep(0.02)


async def blast(port: int, chunks: list[bytes]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        for chunk in chunks:
            writer.write(chunk)
            await writer.drain()
        writer.write_eof()
        async with asyncio.timeout(5):
            while await reader.read(65536):  # whatever the gateway answers, until it or we close
                pass
    except (OSError, TimeoutError):
        pass  # the gateway closed on us, as it should after too many bad frames
    finally:
        writer.close()


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_fuzzed_streams_do_not_disturb_good_loggers(gateway: GatewayProcess) -> None:
    good = GoodLogger(gateway)
    good.start()

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(pieces, min_size=1, max_size=12))
    def hostile(chunks: list[bytes]) -> None:
        asyncio.run(blast(gateway.tcp_port, chunks))

    try:
        hostile()
    finally:
        good.stop.set()
        good.join(timeout=30)
    assert gateway.process is not None and gateway.process.poll() is None
    assert len(good.replies) >= 10
    assert set(good.replies) == {Command.DATA_REPLY}
    wait_for(lambda: gateway.metric("envmon_hj212_open_connections") <= 1, "hostile connections to close")
