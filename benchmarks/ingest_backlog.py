"""Backlog drain: the ingest service against a bare paho subscriber, in paired runs, and a bare COPY.

``uv run python -m benchmarks.ingest_backlog [--messages N] [--runs 5]`` starts a private TimescaleDB
and Mosquitto and creates the persistent sessions of the service and of the bare subscriber. Each
run then publishes a backlog of N QoS 1 messages of 8 readings each while both are offline, and times,
back to back (a pair, so both see the same machine load):

1. the ingest service, from its start (a restart: the worker process is forked and reaches the
   database, its start-up time printed) until every row is committed (acks after commit), sampling
   the peak resident memory of the service (its process plus its worker and fork server);
2. a bare paho subscriber (the same client builder, the same in-flight window) draining the same
   backlog and only parsing the JSON.

R = ingest / bare subscriber (readings/s) per run; it ends with the median and minimum R (target:
median ≥ 0.7, minimum ≥ 0.6 on 2 cores), the peak memory, and a bare COPY of the same rows into an
empty hypertable for scale. The machine's load average is printed before and after: on a shared
machine the absolute rates move with it, the paired ratio much less.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import paho.mqtt.client as mqtt
import psycopg
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from devstack.ingest_stream import WATER_VALUES, publish_all, water_messages
from devstack.mosquitto import MosquittoBroker
from devstack.postgres import PostgresCluster
from devstack.processes import free_port, private_directory
from services.broker.accounts import acl_file, load_accounts, password_file
from services.common.logging import configure_logging
from services.common.mqtt_client import KEEPALIVE_SECONDS, mqtt_client
from services.common.mqtt_url import MqttEndpoint
from services.ingest.service import IngestService
from services.ingest.settings import BROKER_INFLIGHT_WINDOW, IngestSettings
from services.storage.engine import make_engine, upgrade
from services.storage.seed import read_registry_yaml, seed

START = datetime(2026, 1, 1, tzinfo=UTC)
STEP = timedelta(minutes=1)
BARE_CLIENT = "bench-bare-subscriber"
SERVICE_CLIENT = "bench-ingest"
POLL_SECONDS = 0.05
MEMORY_SAMPLE_SECONDS = 0.1
PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")
SERVERS = frozenset({"postgres", "mosquitto"})


def _passwords() -> dict[str, str]:
    _, registry = read_registry_yaml()
    return {e.id: e.dev_password for e in [*registry.gateways, *registry.services] if e.dev_password}


def _bare_client(url: str, count: int | None) -> tuple[mqtt.Client, threading.Event, list[int]]:
    """Connects the bare subscriber's persistent session; with ``count`` it drains that many messages."""
    done, received = threading.Event(), [0]
    endpoint = MqttEndpoint.parse(url)
    client = mqtt_client(endpoint, BARE_CLIENT)

    def on_message(_c: mqtt.Client, _u: object, message: mqtt.MQTTMessage) -> None:
        json.loads(message.payload)
        received[0] += 1
        if count is not None and received[0] >= count:
            done.set()

    client.on_message = on_message
    client.on_subscribe = lambda *_a: done.set() if count is None else None
    client.on_connect = lambda c, *_a: c.subscribe("$share/bench/envmon/v1/#", qos=1)
    properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
    properties.SessionExpiryInterval = 3600
    properties.ReceiveMaximum = BROKER_INFLIGHT_WINDOW  # the same window as the service
    client.connect(endpoint.host, endpoint.port, KEEPALIVE_SECONDS, clean_start=False, properties=properties)
    client.loop_start()
    return client, done, received


def _tree_rss_bytes(root: int) -> int:
    """Resident memory of ``root`` and its descendants (from /proc), but not the private PostgreSQL and
    Mosquitto servers this benchmark started: the service's own processes only."""
    total, pending = 0, [root]
    while pending:
        pid = pending.pop()
        try:
            if Path(f"/proc/{pid}/comm").read_text().strip() in SERVERS:
                continue
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_BYTES
            for task in Path(f"/proc/{pid}/task").iterdir():
                pending += [int(child) for child in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


class PeakMemory:
    """Samples the resident memory of this process tree until stopped; ``peak`` in bytes."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._stop.wait(MEMORY_SAMPLE_SECONDS):
            self.peak = max(self.peak, _tree_rss_bytes(os.getpid()))


@dataclass(frozen=True, slots=True)
class Pair:
    ingest_rate: float  # from service.start() until every row is committed
    bare_rate: float
    peak_bytes: int
    startup_seconds: float  # of ingest_rate's time, until the worker process was ready (imports, database)

    @property
    def ratio(self) -> float:
        return self.ingest_rate / self.bare_rate


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def _paired_run(
    settings: IngestSettings, bare_url: str, gateway_url: str, cluster: PostgresCluster, messages: int
) -> Pair:
    with psycopg.connect(cluster.libpq_url, autocommit=True) as connection:
        connection.execute("truncate readings, recompute_queue")  # every run stores on the fast path
    publish_all(gateway_url, water_messages(messages, start=START, step=STEP))
    rows = messages * len(WATER_VALUES)
    service = IngestService(settings)
    with PeakMemory() as memory:
        started = time.perf_counter()
        service.start()
        while not service.pipeline.worker_running:
            time.sleep(POLL_SECONDS / 10)
        startup_seconds = time.perf_counter() - started
        metrics = service.pipeline.metrics.registry
        while (metrics.get_sample_value("envmon_ingest_readings_stored_total") or 0) < rows:
            time.sleep(POLL_SECONDS)
        ingest_seconds = time.perf_counter() - started
    service.stop()
    started = time.perf_counter()
    bare, done, _ = _bare_client(bare_url, messages)
    done.wait()
    bare_seconds = time.perf_counter() - started
    bare.disconnect()
    bare.loop_stop()
    return Pair(rows / ingest_seconds, rows / bare_seconds, memory.peak, startup_seconds)


def run(messages: int, runs: int) -> None:
    configure_logging("WARNING")
    passwords = _passwords()
    cluster = PostgresCluster(private_directory("bench-pg"))
    broker: MosquittoBroker | None = None
    try:
        cluster.start()
        upgrade(cluster.url)
        engine = make_engine(cluster.url)
        with engine.begin() as connection:
            seed(connection)
            accounts = load_accounts(connection)
        broker = MosquittoBroker(private_directory("bench-mqtt"), password_file(accounts), acl_file(accounts))
        broker.start()
        service_url = broker.url("envmon-ingest", passwords["envmon-ingest"])
        settings = IngestSettings(
            database_url=cluster.url,
            mqtt_url=service_url,
            ingest_client_id=SERVICE_CLIENT,
            ingest_http_port=free_port(),
            log_level="ERROR",
        )
        # Create both persistent sessions, then go offline so the broker queues each backlog for them.
        service = IngestService(settings)
        service.start()
        service.pipeline.consumer.connected.wait(30)
        service.stop()
        bare, subscribed, _ = _bare_client(service_url, None)
        subscribed.wait(30)
        bare.disconnect()
        bare.loop_stop()

        gateway_url = broker.url("gw-pyj-jinhua", passwords["gw-pyj-jinhua"])
        rows = messages * len(WATER_VALUES)
        print(f"backlog per run: {messages} messages, {rows} readings; {runs} paired runs; load before: {_load()}")
        pairs = []
        for number in range(1, runs + 1):
            pair = _paired_run(settings, service_url, gateway_url, cluster, messages)
            pairs.append(pair)
            print(
                f"run {number}: ingest {pair.ingest_rate:10,.0f} readings/s, bare subscriber {pair.bare_rate:10,.0f}"
                f" readings/s, R = {pair.ratio:.2f}, ingest peak RSS {pair.peak_bytes / 2**20:,.0f} MiB,"
                f" worker ready after {pair.startup_seconds:.2f} s"
                f" (load {_load()})"
            )

        with psycopg.connect(cluster.libpq_url, autocommit=True) as connection:
            connection.execute("create table readings_copy (like readings including all)")
            connection.execute("select create_hypertable('readings_copy', by_range('time', interval '7 days'))")
            lines = "".join(
                f"{(START + i * STEP).isoformat()}\tPYJ-JINHUA\t{code}\t{value}\tN\tmqtt-json\t\\N\t"
                f"{START.isoformat()}\n"
                for i in range(messages)
                for code, value in WATER_VALUES.items()
            )
            started = time.perf_counter()
            with (
                connection.transaction(),
                connection.cursor() as cursor,
                cursor.copy(
                    "copy readings_copy (time, station, parameter, value, flag, source, gateway, received_at) "
                    "from stdin"
                ) as copy,
            ):
                copy.write(lines)
            copy_seconds = time.perf_counter() - started
            counted = connection.execute("select count(*) from readings").fetchone()
        assert counted is not None and counted[0] == rows, f"stored {counted} readings, expected {rows}"

        ratios = [pair.ratio for pair in pairs]
        print(f"bare COPY:        {rows / copy_seconds:12,.0f} readings/s ({copy_seconds:.2f} s)")
        print(f"ingest peak RSS (service + worker + fork server): {max(p.peak_bytes for p in pairs) / 2**20:,.0f} MiB")
        print(f"load after: {_load()}")
        print(f"ingest/bare-subscriber: median R = {statistics.median(ratios):.2f}, min R = {min(ratios):.2f}")
        engine.dispose()
    finally:
        if broker is not None:
            broker.destroy()
        cluster.destroy()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--messages", type=int, default=100_000, help="backlog per run (messages of 8 readings)")
    parser.add_argument("--runs", type=int, default=5, help="paired runs (ingest, then the bare subscriber)")
    arguments = parser.parse_args()
    run(arguments.messages, arguments.runs)


if __name__ == "__main__":
    main()
