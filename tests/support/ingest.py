"""Helpers for the ingest tests: settings for a private stack, a running replica, waiting on the database."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from http import HTTPStatus

import httpx
import paho.mqtt.client as mqtt
from sqlalchemy import Engine, func, select, text

from devstack.ingest_stream import connect
from devstack.mosquitto import MosquittoBroker
from devstack.processes import free_port
from services.ingest.pipeline import WorkerEntry
from services.ingest.service import IngestService
from services.ingest.settings import IngestSettings
from services.ingest.worker import serve
from services.storage.schema import readings, rejected_messages

INGEST_ACCOUNT = "envmon-ingest"
# The ``ingest_settings`` fixture: settings for one replica, ``make(suffix="", **overrides)``.
SettingsFactory = Callable[..., IngestSettings]
WAIT_SECONDS = 90.0
POLL_SECONDS = 0.1


def ingest_environment(
    database_url: str, broker: MosquittoBroker, password: str, *, client_id: str, subscription: str | None = None
) -> dict[str, str]:
    env = {
        "ENVMON_DATABASE_URL": database_url,
        "ENVMON_MQTT_URL": broker.url(INGEST_ACCOUNT, password),
        "ENVMON_INGEST_CLIENT_ID": client_id,
        "ENVMON_INGEST_HTTP_PORT": str(free_port()),
        "ENVMON_INGEST_FLUSH_INTERVAL": "PT0.05S",
        "ENVMON_LOG_LEVEL": "WARNING",
    }
    if subscription is not None:
        env["ENVMON_INGEST_SUBSCRIPTION"] = subscription
    return env


def settings_from(env: dict[str, str], **overrides: object) -> IngestSettings:
    fields = {key.removeprefix("ENVMON_").lower(): value for key, value in env.items()}
    return IngestSettings.model_validate({**fields, **overrides})


@contextmanager
def running(settings: IngestSettings, worker_entry: WorkerEntry = serve) -> Iterator[IngestService]:
    service = IngestService(settings, worker_entry)
    service.start()
    if not service.pipeline.consumer.connected.wait(WAIT_SECONDS):
        raise AssertionError("the ingest replica did not connect and subscribe")
    try:
        yield service
    finally:
        service.stop(flush_seconds=10)


def _ready(port: int, process: subprocess.Popen[bytes]) -> bool:
    if process.poll() is not None:
        raise AssertionError(f"envmon ingest exited with status {process.returncode}")
    try:
        return httpx.get(f"http://127.0.0.1:{port}/readyz").status_code == HTTPStatus.OK
    except httpx.TransportError:
        return False


@contextmanager
def subprocess_ingest(env: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    """``envmon ingest`` in a subprocess, once its /readyz says subscribed, database reachable, worker running."""
    process = subprocess.Popen([sys.executable, "-m", "services.cli", "ingest"], env={**os.environ, **env})
    try:
        wait_for(lambda: _ready(int(env["ENVMON_INGEST_HTTP_PORT"]), process), "envmon ingest to be ready")
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def wait_for(check: Callable[[], bool], what: str, timeout: float = WAIT_SECONDS) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(POLL_SECONDS)
    raise AssertionError(f"timed out waiting for {what}")


def metric(service: IngestService, name: str, labels: dict[str, str] | None = None) -> float:
    """A sample of the replica's /metrics registry, e.g. ``envmon_ingest_messages_acked_total`` (0 when absent)."""
    return service.pipeline.metrics.registry.get_sample_value(name, labels) or 0.0


def reading_count(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(readings)).scalar_one())


def reject_reasons(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        return list(connection.execute(select(rejected_messages.c.reason).order_by(rejected_messages.c.id)).scalars())


def wait_for_rows(engine: Engine, expected: int, timeout: float = WAIT_SECONDS) -> None:
    wait_for(lambda: reading_count(engine) >= expected, f"{expected} readings", timeout)


def empty(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(text("truncate readings, rejected_messages, recompute_queue"))


LATE = timedelta(hours=3)


def reject_rows(engine: Engine) -> list[tuple[str, str, bytes, int]]:
    """(reason, detail, payload, occurrences) of every reject row, in insertion order."""
    with engine.connect() as connection:
        return [
            (reason, detail, bytes(payload), occurrences)
            for reason, detail, payload, occurrences in connection.execute(
                select(
                    rejected_messages.c.reason,
                    rejected_messages.c.detail,
                    rejected_messages.c.payload,
                    rejected_messages.c.occurrences,
                ).order_by(rejected_messages.c.id)
            )
        ]


def collector(url: str, topic: str) -> tuple[mqtt.Client, list[mqtt.MQTTMessage]]:
    """A subscribed MQTT client and the list its messages on ``topic`` arrive in."""
    received: list[mqtt.MQTTMessage] = []
    subscribed = threading.Event()
    client = connect(url, f"collector-{threading.get_ident()}")
    client.on_message = lambda _c, _u, message: received.append(message)
    client.on_subscribe = lambda *_args: subscribed.set()
    client.subscribe(topic, qos=1)
    if not subscribed.wait(WAIT_SECONDS):
        raise AssertionError(f"could not subscribe to {topic}")
    return client, received
