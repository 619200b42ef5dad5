"""HJ 212 gateway throughput with many logger connections, against baselines measured in the same run.

Every logger uploads ``--frames`` hourly frames one after another, each waiting for its reply, as real
loggers do (after one untimed first frame that pays the once-per-connection PW check). Measured:

- accepted: frames per second acknowledged by the gateway (each reply follows the broker's PUBACK);
- stored: frames per second until the ingest service has committed all their readings;
- baseline "echo": the same clients against a bare asyncio server (separate process) that answers
  every frame at once; it bounds what the client side and the loopback can do;
- baseline "parse": ``hj212.parse()`` of the same frames in one thread.

Run: ``uv run python -m benchmarks.hj212_gateway --connections 500 --frames 4``

Outage mode, ``--outage-minutes 10 --connections 300``: the gateway's memory while the broker is
down. 300 loggers connect and send one frame each (PW checked, replied); then the broker stops.
Each logger then sends what a real one sends in that many minutes of outage: a minute record every
minute plus ``--resends`` resends of it for want of a reply (HJ 212 loggers resend an unanswered
frame, typically 3 times). The clock is compressed ``--clock`` times (default 100): the gateway's
reply timeout is 10 s / clock and the outage lasts minutes × 60 s / clock, and each logger writes
its frames as fast as the gateway reads them (frames still unwritten at the end are what TCP flow
control held back). The gateway's resident memory is sampled every 0.1 s (before, peak during, after
the broker is back and the queue drained), with its forward queue and the frames held back. Run it at
10 and at 30 minutes: a bounded gateway peaks at the same memory whatever the outage's length.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, func, select

from devstack.hj212_fleet import FLEET_PREFIX, FleetLogger, seed_fleet
from devstack.mosquitto import MosquittoBroker, start_registry_broker
from devstack.postgres import start_platform_database
from devstack.processes import free_port, port_accepts, private_directory, wait_until
from services.standards import hj212
from services.standards.hj212 import Command
from services.standards.local_time import BEIJING_TIME
from services.storage.engine import make_engine
from services.storage.schema import readings
from services.storage.seed import read_registry_yaml
from simulators.hj212_tcp import LoggerIdentity, TcpDataLogger, station_values
from tests.support.hj212_gateway import GATEWAY_ACCOUNT, gateway_environment, running_gateway
from tests.support.ingest import INGEST_ACCOUNT, ingest_environment, subprocess_ingest

FIRST_HOUR = datetime(2026, 11, 1, tzinfo=BEIJING_TIME)
REPLY_TIMEOUT_SECONDS = 120.0
STORE_TIMEOUT_SECONDS = 600.0
PARSE_REPEAT = 3
READINGS_PER_FRAME = len(station_values(FIRST_HOUR))
PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")
REAL_REPLY_TIMEOUT_SECONDS = 10.0  # the gateway's default; compressed in outage mode


async def drive(port: int, fleet: list[FleetLogger], frames: int) -> float:
    """Seconds for every logger to get all its frames acknowledged (connections opened beforehand)."""
    loggers = [
        TcpDataLogger("127.0.0.1", port, LoggerIdentity(mn=f.mn, pw=f.pw), reply_timeout=REPLY_TIMEOUT_SECONDS)
        for f in fleet
    ]
    await asyncio.gather(*(logger.connect() for logger in loggers))

    async def upload(logger: TcpDataLogger, hours: range) -> None:
        for n in hours:
            reply = await logger.upload_hour(FIRST_HOUR + timedelta(hours=n))
            if reply is None or reply.cn != Command.DATA_REPLY:
                raise RuntimeError(f"{logger.identity.mn}: unexpected reply {reply}")

    # One untimed frame per connection first: it pays the PW check (PBKDF2, once per connection).
    await asyncio.gather(*(upload(logger, range(-1, 0)) for logger in loggers))
    started = time.perf_counter()
    await asyncio.gather(*(upload(logger, range(frames)) for logger in loggers))
    elapsed = time.perf_counter() - started
    await asyncio.gather(*(logger.close() for logger in loggers))
    return elapsed


def echo_server(port: int, ready: multiprocessing.synchronize.Event) -> None:
    """Answers each frame with a fixed 9014 at once: no parsing, no broker."""

    async def serve() -> None:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            while True:
                try:
                    raw = await reader.readuntil(b"\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    break
                request = hj212.parse(raw)  # the reply must echo the QN for the client to match it
                writer.write(hj212.build(hj212.data_reply(request)))
            writer.close()

        server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=4096)
        ready.set()
        await server.serve_forever()

    asyncio.run(serve())


def echo_baseline(fleet: list[FleetLogger], frames: int) -> float:
    port = free_port()
    ready = multiprocessing.Event()
    process = multiprocessing.Process(target=echo_server, args=(port, ready), daemon=True)
    process.start()
    ready.wait(30)
    try:
        return asyncio.run(drive(port, fleet, frames))
    finally:
        process.terminate()
        process.join()


def parse_baseline(fleet: list[FleetLogger], frames: int) -> float:
    raw = [
        hj212.build(
            hj212.data_frame(
                st=21,
                cn=Command.HOURLY_DATA,
                mn=f.mn,
                pw=f.pw,
                data_time=hour,
                values=station_values(hour),
                qn="20261101000000000",
            )
        )
        for f in fleet
        for hour in (FIRST_HOUR + timedelta(hours=n) for n in range(frames))
    ]
    best = float("inf")
    for _ in range(PARSE_REPEAT):
        started = time.perf_counter()
        for item in raw:
            hj212.parse(item)
        best = min(best, time.perf_counter() - started)
    return best


def stored_readings(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(
            connection.execute(
                select(func.count()).select_from(readings).where(readings.c.station.like(f"{FLEET_PREFIX}-%"))
            ).scalar_one()
        )


def timed_until(check: Callable[[], bool], timeout: float) -> float:
    started = time.perf_counter()
    wait_until(check, "stored readings", timeout=timeout)
    return time.perf_counter() - started


def rss_bytes(pid: int) -> int:
    return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_BYTES


async def _discard(reader: asyncio.StreamReader) -> None:
    with contextlib.suppress(ConnectionError):
        while await reader.read(65_536):
            pass


def minute_frame(logger: FleetLogger, minute: int) -> bytes:
    moment = FIRST_HOUR + timedelta(minutes=minute)
    return hj212.build(
        hj212.data_frame(
            st=21, cn=Command.MINUTE_DATA, mn=logger.mn, pw=logger.pw, data_time=moment, values=station_values(moment)
        )
    )


async def outage_traffic(
    port: int, fleet: list[FleetLogger], frames_per_logger: int, wall_seconds: float, broker: MosquittoBroker
) -> tuple[int, list[asyncio.StreamWriter], list[asyncio.Task[None]]]:
    """Connect every logger (one answered frame each), stop the broker, then offer each logger's outage
    traffic for ``wall_seconds``; the frames written, the open connections and their reply readers."""
    connections = [await asyncio.open_connection("127.0.0.1", port) for _ in fleet]
    for (_, writer), logger in zip(connections, fleet, strict=True):
        writer.write(minute_frame(logger, -1))
    readers = [asyncio.create_task(_discard(reader)) for reader, _ in connections]
    await asyncio.sleep(5)  # the first frames answered: PW checked, sessions bound
    await asyncio.to_thread(broker.stop)
    written = 0

    async def offer(writer: asyncio.StreamWriter, logger: FleetLogger) -> None:
        nonlocal written
        for frame in range(frames_per_logger):
            writer.write(minute_frame(logger, frame))
            await writer.drain()  # blocks once the gateway stops reading (backpressure)
            written += 1

    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(wall_seconds):
            await asyncio.gather(*(offer(w, logger) for (_, w), logger in zip(connections, fleet, strict=True)))
    return written, [writer for _, writer in connections], readers


@contextmanager
def private_stack(
    connections: int,
) -> Iterator[tuple[str, Engine, MosquittoBroker, list[FleetLogger], dict[str, str]]]:
    """A private database seeded with ``connections`` loggers and a broker with the registry's accounts:
    (database URL, engine, broker, the loggers, the accounts' development passwords)."""
    cluster = start_platform_database(private_directory("bench-hj212-pg"))
    broker: MosquittoBroker | None = None
    try:
        engine = make_engine(cluster.url)
        with engine.begin() as connection:
            fleet = seed_fleet(connection, connections)
        broker = start_registry_broker(private_directory("bench-hj212-mqtt"), engine)
        _, registry = read_registry_yaml()
        passwords = {e.id: e.dev_password or "" for e in [*registry.gateways, *registry.services]}
        yield cluster.url, engine, broker, fleet, passwords
        engine.dispose()
    finally:
        if broker is not None:
            broker.destroy()
        cluster.destroy()


def outage(args: argparse.Namespace) -> None:
    frames_per_logger = args.outage_minutes * (1 + args.resends)
    wall_seconds = args.outage_minutes * 60 / args.clock
    with private_stack(args.connections) as (database_url, _, broker, fleet, passwords):
        env = gateway_environment(
            database_url,
            broker.url(GATEWAY_ACCOUNT, passwords[GATEWAY_ACCOUNT]),
            ENVMON_HJ212_REPLY_TIMEOUT=f"PT{REAL_REPLY_TIMEOUT_SECONDS / args.clock}S",
            ENVMON_HJ212_PARTIAL_FRAME_TIMEOUT="PT30S",
            ENVMON_HJ212_IDLE_TIMEOUT="PT65M",
            ENVMON_HJ212_MAX_QUEUED=str(args.max_queued),
            ENVMON_LOG_LEVEL="ERROR",
        )
        with running_gateway(env) as gateway:
            assert gateway.process is not None
            pid = gateway.process.pid
            peak = [0]
            stop = threading.Event()

            def sample() -> None:
                while not stop.wait(0.1):
                    peak[0] = max(peak[0], rss_bytes(pid))

            async def scenario() -> tuple[int, int, int, int]:
                before = rss_bytes(pid)
                sampler = threading.Thread(target=sample, daemon=True)
                sampler.start()
                written, writers, readers = await outage_traffic(
                    gateway.tcp_port, fleet, frames_per_logger, wall_seconds, broker
                )
                queued = gateway.metric("envmon_hj212_forward_queue")
                print(
                    f"outage: {args.connections} loggers offered {frames_per_logger} frames each "
                    f"({args.outage_minutes} min x (1 + {args.resends} resends)) = "
                    f"{args.connections * frames_per_logger:,} frames, clock compressed {args.clock:g}x "
                    f"({wall_seconds:g} s of wall time, reply timeout {REAL_REPLY_TIMEOUT_SECONDS / args.clock:g} s); "
                    f"written into the sockets {written:,} (what the gateway did not read waits in kernel "
                    "socket buffers, then TCP flow control holds the loggers); "
                    f"forward queue {queued:,.0f} of {args.max_queued:,}; "
                    f"frames that waited for room {gateway.metric('envmon_hj212_forward_waits_total'):,.0f}"
                )
                during = max(peak[0], rss_bytes(pid))
                await asyncio.to_thread(broker.start)
                await asyncio.to_thread(
                    wait_until,
                    lambda: (
                        gateway.metric("envmon_hj212_mqtt_connected") == 1
                        and gateway.metric("envmon_hj212_forward_queue") == 0
                    ),
                    "the forward queue to drain",
                    timeout=STORE_TIMEOUT_SECONDS,
                )
                for writer in writers:
                    writer.close()
                for reader in readers:
                    reader.cancel()
                await asyncio.gather(*readers, return_exceptions=True)
                stop.set()
                sampler.join()
                return before, during, peak[0], rss_bytes(pid)

            before, during, top, after = asyncio.run(scenario())
    mib = 2**20
    print(
        f"gateway RSS: {before / mib:,.1f} MiB with {args.connections} loggers connected before the outage; "
        f"peak during the outage {during / mib:,.1f} MiB (+{(during - before) / mib:,.1f}); peak including the "
        f"recovery (broker back, backlog forwarded) {top / mib:,.1f} MiB (+{(top - before) / mib:,.1f}); "
        f"{after / mib:,.1f} MiB once the queue drained; {os.cpu_count()} CPUs, "
        f"load {' '.join(Path('/proc/loadavg').read_text().split()[:3])}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--connections", type=int, default=500)
    parser.add_argument("--frames", type=int, default=20, help="hourly frames per connection")
    parser.add_argument("--outage-minutes", type=int, default=0, help="outage mode: minutes of broker outage")
    parser.add_argument("--resends", type=int, default=3, help="outage mode: resends of each unanswered frame")
    parser.add_argument("--clock", type=float, default=100.0, help="outage mode: time compression factor")
    parser.add_argument("--max-queued", type=int, default=5000, help="outage mode: ENVMON_HJ212_MAX_QUEUED")
    args = parser.parse_args()
    if args.outage_minutes:
        outage(args)
        return
    total = args.connections * args.frames

    with private_stack(args.connections) as (database_url, engine, broker, fleet, passwords):
        parse_seconds = parse_baseline(fleet, args.frames)
        echo_seconds = echo_baseline(fleet, args.frames)

        ingest_env = ingest_environment(database_url, broker, passwords[INGEST_ACCOUNT], client_id="bench-ingest")
        env = gateway_environment(
            database_url,
            broker.url(GATEWAY_ACCOUNT, passwords[GATEWAY_ACCOUNT]),
            ENVMON_HJ212_REPLY_TIMEOUT="PT60S",
            ENVMON_LOG_LEVEL="ERROR",
        )
        with subprocess_ingest(ingest_env) as ingest, running_gateway(env) as gateway:
            wait_until(lambda: port_accepts(int(ingest_env["ENVMON_INGEST_HTTP_PORT"])), "ingest", process=ingest)
            accept_seconds = asyncio.run(drive(gateway.tcp_port, fleet, args.frames))
            expected = (total + args.connections) * READINGS_PER_FRAME  # with the untimed first frames
            store_seconds = accept_seconds + timed_until(
                lambda: stored_readings(engine) >= expected, STORE_TIMEOUT_SECONDS
            )

    rates = {
        "parse() in one thread (baseline)": total / parse_seconds,
        "bare asyncio echo server (baseline)": total / echo_seconds,
        "gateway: accepted (reply after PUBACK)": total / accept_seconds,
        "gateway + ingest: stored end to end": total / store_seconds,
    }
    print(
        f"{args.connections} connections x {args.frames} frames = {total} frames "
        f"({READINGS_PER_FRAME} readings each); {os.cpu_count()} CPUs"
    )
    for name, rate in rates.items():
        print(f"  {name:<42} {rate:>10,.0f} frames/s")
    echo = rates["bare asyncio echo server (baseline)"]
    print(
        f"  accepted / echo baseline: {total / accept_seconds / echo:.2f}; "
        f"stored / echo baseline: {total / store_seconds / echo:.2f}"
    )


if __name__ == "__main__":
    main()
