"""Backlog drain: the ingest service against a bare paho subscriber and a bare COPY, in one run.

``uv run python -m benchmarks.ingest_backlog [--messages N]`` starts a private TimescaleDB and
Mosquitto, creates the persistent sessions of the service and of the bare subscriber, publishes a
backlog of N QoS 1 messages of 8 readings each while both are offline, then times:

1. the ingest service draining it until every row is committed (acks after commit);
2. a bare paho subscriber draining the same backlog and only parsing the JSON;
3. a bare COPY of the same rows into an empty hypertable.

It ends with ``ingest/bare-subscriber = R`` (readings/s ratio; target R ≥ 0.6 on 2 cores).
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from datetime import UTC, datetime, timedelta

import paho.mqtt.client as mqtt
import psycopg
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from devstack.ingest_stream import WATER_VALUES, publish_all, water_messages
from devstack.mosquitto import MosquittoBroker
from devstack.postgres import PostgresCluster
from devstack.processes import free_port, private_directory
from services.broker.accounts import acl_file, load_accounts, password_file
from services.common.logging import configure_logging
from services.ingest.service import IngestService
from services.ingest.settings import BROKER_INFLIGHT_WINDOW, IngestSettings
from services.storage.engine import make_engine, upgrade
from services.storage.seed import read_registry_yaml, seed

START = datetime(2026, 1, 1, tzinfo=UTC)
STEP = timedelta(minutes=1)
BARE_CLIENT = "bench-bare-subscriber"
SERVICE_CLIENT = "bench-ingest"
POLL_SECONDS = 0.05


def _passwords() -> dict[str, str]:
    _, registry = read_registry_yaml()
    return {e.id: e.dev_password for e in [*registry.gateways, *registry.services] if e.dev_password}


def _bare_client(url_host: int, password: str, count: int | None) -> tuple[mqtt.Client, threading.Event, list[int]]:
    """Connects the bare subscriber's persistent session; with ``count`` it drains that many messages."""
    done, received = threading.Event(), [0]
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=BARE_CLIENT, protocol=MQTTProtocolVersion.MQTTv5)
    client.username_pw_set("envmon-ingest", password)

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
    client.connect("127.0.0.1", url_host, clean_start=False, properties=properties)
    client.loop_start()
    return client, done, received


def run(messages: int) -> None:
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
        # Create both persistent sessions, then go offline so the broker queues the backlog for them.
        service = IngestService(settings)
        service.start()
        service.pipeline.consumer.connected.wait(30)
        service.stop()
        bare, subscribed, _ = _bare_client(broker.port, passwords["envmon-ingest"], None)
        subscribed.wait(30)
        bare.disconnect()
        bare.loop_stop()

        gateway_url = broker.url("gw-pyj-jinhua", passwords["gw-pyj-jinhua"])
        publish_all(gateway_url, water_messages(messages, start=START, step=STEP))
        rows = messages * len(WATER_VALUES)
        print(f"backlog: {messages} messages, {rows} readings")

        service = IngestService(settings)
        started = time.perf_counter()
        service.start()
        metrics = service.pipeline.metrics.registry
        while (metrics.get_sample_value("envmon_ingest_readings_stored_total") or 0) < rows:
            time.sleep(POLL_SECONDS)
        ingest_seconds = time.perf_counter() - started
        service.stop()

        started = time.perf_counter()
        bare, done, _ = _bare_client(broker.port, passwords["envmon-ingest"], messages)
        done.wait()
        bare_seconds = time.perf_counter() - started
        bare.disconnect()
        bare.loop_stop()

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

        ingest_rate, bare_rate, copy_rate = rows / ingest_seconds, rows / bare_seconds, rows / copy_seconds
        print(f"ingest service:   {ingest_rate:12,.0f} readings/s ({ingest_seconds:.2f} s, every row committed)")
        print(f"bare subscriber:  {bare_rate:12,.0f} readings/s ({bare_seconds:.2f} s, JSON parsing only)")
        print(f"bare COPY:        {copy_rate:12,.0f} readings/s ({copy_seconds:.2f} s)")
        print(f"ingest/bare-copy = {ingest_rate / copy_rate:.2f}")
        print(f"ingest/bare-subscriber = {ingest_rate / bare_rate:.2f}")
        engine.dispose()
    finally:
        if broker is not None:
            broker.destroy()
        cluster.destroy()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--messages", type=int, default=200_000, help="backlog size (messages of 8 readings)")
    run(parser.parse_args().messages)


if __name__ == "__main__":
    main()
