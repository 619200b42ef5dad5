"""Faults with real components: kill -9, database outage, broker restart, two replicas, broker ACL."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from sqlalchemy import Engine, text

from devstack.ingest_stream import WATER_VALUES, connect, publish_all, water_messages
from devstack.mosquitto import MosquittoBroker, start_registry_broker
from devstack.postgres import PostgresCluster, start_platform_database
from devstack.processes import private_directory
from services.ingest.settings import SINGLE_REPLICA_SUBSCRIPTION, IngestSettings
from services.storage.engine import make_engine
from tests.support.ingest import (
    INGEST_ACCOUNT,
    SettingsFactory,
    ingest_environment,
    metric,
    reading_count,
    running,
    subprocess_ingest,
    wait_for,
    wait_for_rows,
)

pytestmark = pytest.mark.integration

START = datetime(2026, 10, 1, tzinfo=UTC)
GATEWAY = "gw-pyj-jinhua"
DATABASE_OUTAGE_SECONDS = 30


@pytest.fixture
def private_db() -> Iterator[tuple[PostgresCluster, Engine]]:
    cluster = start_platform_database(private_directory("ingest-pg"))
    engine = make_engine(cluster.url)
    yield cluster, engine
    engine.dispose()
    cluster.destroy()


def child_pids(pid: int) -> list[int]:
    try:
        return [
            int(child)
            for task in Path(f"/proc/{pid}/task").iterdir()
            for child in (task / "children").read_text().split()
        ]
    except FileNotFoundError:  # the process (or one of its threads) just ended
        return []


def worker_pids(replica: int) -> list[int]:
    """The replica's worker processes: the children of its fork server (its own children are the fork
    server and multiprocessing's resource tracker)."""
    return [worker for child in child_pids(replica) for worker in child_pids(child)]


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except FileNotFoundError:
        return False


def commits_waiting(db: Engine) -> int:
    """Sessions waiting for a lock on ``readings``: a replica's commit that holds received, unacked messages."""
    with db.connect() as connection:
        query = "select count(*) from pg_locks where relation = 'readings'::regclass and not granted"
        return int(connection.execute(text(query)).scalar_one())


@contextmanager
def mid_drain(db: Engine, gateway_url: str, messages: int) -> Iterator[None]:
    """A running replica mid-drain by construction, whatever the machine's speed: the first half of a
    backlog of ``messages`` water messages has begun to be stored, then ``readings`` is locked, the
    second half published, and the block entered once the replica's commit of that half waits on the
    lock (received, unacked, uncommitted). The lock is released on leaving the block."""
    backlog = list(water_messages(messages, start=START))
    publish_all(gateway_url, backlog[: messages // 2])
    wait_for(lambda: reading_count(db) > 0, "the first rows")
    with db.connect() as lock:
        lock.execute(text("lock table readings in exclusive mode"))  # reads go on, writes wait
        publish_all(gateway_url, backlog[messages // 2 :])
        wait_for(lambda: commits_waiting(db) > 0, "a commit waiting on the locked readings")
        yield
        lock.rollback()


def assert_a_restart_stores_every_reading_once(env: dict[str, str], db: Engine, expected: int) -> None:
    with subprocess_ingest(env):
        wait_for_rows(db, expected)
        time.sleep(1)
    assert reading_count(db) == expected


def test_kill_9_mid_drain_then_restart_stores_every_reading_once(
    postgres: PostgresCluster, broker: MosquittoBroker, db: Engine, mqtt_accounts: dict[str, str]
) -> None:
    env = ingest_environment(
        postgres.url,
        broker,
        mqtt_accounts[INGEST_ACCOUNT],
        client_id="ingest-kill9",
        subscription="$share/kill9/envmon/v1/#",
    )
    expected = 3000 * len(WATER_VALUES)
    with subprocess_ingest(env) as process, mid_drain(db, broker.url(GATEWAY, mqtt_accounts[GATEWAY]), 3000):
        helpers, workers = child_pids(process.pid), worker_pids(process.pid)
        process.send_signal(signal.SIGKILL)
        process.wait()
    assert workers, "the replica runs its decode-and-commit worker in a process of its own"
    # The worker must not outlive a killed replica, or it would go on committing unacked messages.
    wait_for(lambda: not any(alive(pid) for pid in helpers + workers), "the worker to die with it", 10)
    assert reading_count(db) < expected  # killed mid-drain
    assert_a_restart_stores_every_reading_once(env, db, expected)


def test_a_killed_worker_is_replaced_and_every_reading_stored_once(
    postgres: PostgresCluster, broker: MosquittoBroker, db: Engine, mqtt_accounts: dict[str, str]
) -> None:
    env = ingest_environment(
        postgres.url,
        broker,
        mqtt_accounts[INGEST_ACCOUNT],
        client_id="ingest-worker-kill",
        subscription="$share/workerkill/envmon/v1/#",
    )
    expected = 2000 * len(WATER_VALUES)
    with subprocess_ingest(env) as process:
        with mid_drain(db, broker.url(GATEWAY, mqtt_accounts[GATEWAY]), 2000):
            [worker] = worker_pids(process.pid)
            os.kill(worker, signal.SIGKILL)
        # The replica starts a new worker and sends it everything unacked; what the killed one was
        # committing becomes poison suspects, each then committed on its own and cleared.
        wait_for_rows(db, expected)
        time.sleep(1)
        assert process.poll() is None
        assert reading_count(db) == expected
        assert worker_pids(process.pid) not in ([], [worker])
    with db.connect() as connection:
        assert connection.execute(text("select count(*) from ingest_suspects")).scalar() == 0


def test_database_outage_mid_stream_loses_nothing(
    private_db: tuple[PostgresCluster, Engine],
    broker: MosquittoBroker,
    ingest_settings: SettingsFactory,
    mqtt_accounts: dict[str, str],
) -> None:
    cluster, engine = private_db
    url = broker.url(GATEWAY, mqtt_accounts[GATEWAY])
    settings = ingest_settings(database_url=cluster.url)
    with running(settings) as service:
        publish_all(url, water_messages(500, start=START))
        wait_for_rows(engine, 500 * len(WATER_VALUES))
        cluster.stop()
        publish_all(url, water_messages(1500, start=START + timedelta(days=30)))
        time.sleep(DATABASE_OUTAGE_SECONDS)
        assert not service.health().database_connected
        cluster.start()
        wait_for_rows(engine, 2000 * len(WATER_VALUES))
    assert reading_count(engine) == 2000 * len(WATER_VALUES)


@dataclass(frozen=True)
class RestartableStack:
    broker: MosquittoBroker  # private and persistent: the session broker is shared, this one gets restarted
    settings: IngestSettings  # a plain subscription: Mosquitto 2.0 restores it after a restart (docs/ingest.md)
    gateway_url: str

    def restart_broker(self) -> None:
        self.broker.stop()  # SIGTERM: Mosquitto writes its store
        self.broker.start()


@pytest.fixture
def restartable(
    db: Engine, ingest_settings: SettingsFactory, mqtt_accounts: dict[str, str]
) -> Iterator[RestartableStack]:
    private = start_registry_broker(private_directory("ingest-mqtt"), db, persistence=True)
    yield RestartableStack(
        private,
        ingest_settings(
            mqtt_url=private.url(INGEST_ACCOUNT, mqtt_accounts[INGEST_ACCOUNT]),
            ingest_subscription=SINGLE_REPLICA_SUBSCRIPTION,
        ),
        private.url(GATEWAY, mqtt_accounts[GATEWAY]),
    )
    private.destroy()


def test_broker_restart_while_ingest_offline_keeps_what_it_accepted(restartable: RestartableStack, db: Engine) -> None:
    with running(restartable.settings):
        pass  # the persistent session exists; the service is now offline
    publish_all(restartable.gateway_url, water_messages(500, start=START))  # queued, then saved in the store
    restartable.restart_broker()
    publish_all(restartable.gateway_url, water_messages(500, start=START + timedelta(days=30)))  # restored session
    with running(restartable.settings):
        wait_for_rows(db, 1000 * len(WATER_VALUES))
    assert reading_count(db) == 1000 * len(WATER_VALUES)


def test_broker_restart_while_ingest_connected_keeps_what_it_accepted(
    restartable: RestartableStack, db: Engine
) -> None:
    with running(restartable.settings) as service:
        # Restart while messages are in flight: some were received but not yet committed, so they
        # are redelivered (DUP) on the new connection, acked there and stored once.
        publish_all(restartable.gateway_url, water_messages(500, start=START))
        restartable.restart_broker()
        # Published before the replica reconnects: the restored session must queue them.
        publish_all(restartable.gateway_url, water_messages(500, start=START + timedelta(days=30)))
        wait_for_rows(db, 1000 * len(WATER_VALUES))
        assert service.pipeline.consumer.generation == 2
    assert reading_count(db) == 1000 * len(WATER_VALUES)


def test_two_replicas_share_the_stream_without_loss_or_duplicates(
    ingest_settings: SettingsFactory, broker: MosquittoBroker, db: Engine, mqtt_accounts: dict[str, str]
) -> None:
    with running(ingest_settings("-a")) as first, running(ingest_settings("-b")) as second:
        publish_all(broker.url(GATEWAY, mqtt_accounts[GATEWAY]), water_messages(2000, start=START))
        wait_for_rows(db, 2000 * len(WATER_VALUES))
        time.sleep(0.5)
    stored = [metric(replica, "envmon_ingest_readings_stored_total") for replica in (first, second)]
    duplicates = [metric(replica, "envmon_ingest_readings_duplicate_total") for replica in (first, second)]
    assert all(count > 0 for count in stored)
    assert sum(stored) == reading_count(db) == 2000 * len(WATER_VALUES)
    assert duplicates == [0, 0]


def test_broker_refuses_a_gateway_publishing_for_another_gateways_station(
    broker: MosquittoBroker, mqtt_accounts: dict[str, str]
) -> None:
    own = connect(broker.url(GATEWAY, mqtt_accounts[GATEWAY]), "acl-test")
    spy = connect(broker.url(INGEST_ACCOUNT, mqtt_accounts[INGEST_ACCOUNT]), "acl-spy")
    seen: list[str] = []
    spy.on_message = lambda _c, _u, message: seen.append(message.topic)
    spy.subscribe("envmon/v1/+/water", qos=1)
    time.sleep(0.5)
    codes: dict[str, int] = {}
    own.on_publish = lambda _c, _u, mid, reason, _p: codes.__setitem__(str(mid), reason.value)
    foreign = own.publish(
        "envmon/v1/PYJ-ANHUA/water", b'{"time": "2026-11-27T09:00:00+08:00", "values": {"ph": 7}}', qos=1
    )
    mine = own.publish(
        "envmon/v1/PYJ-JINHUA/water", b'{"time": "2026-11-27T09:00:00+08:00", "values": {"ph": 7}}', qos=1
    )
    mine.wait_for_publish(10)
    foreign.wait_for_publish(10)
    time.sleep(0.5)
    for client in (own, spy):
        client.disconnect()
    assert seen == ["envmon/v1/PYJ-JINHUA/water"]
    assert codes[str(foreign.mid)] == mqtt.MQTT_ERR_SUCCESS or codes[str(foreign.mid)] >= 0x80
