"""Helpers for the ingest tests: settings for a private stack, a running replica, waiting on the database."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import Engine, func, select, text

from devstack.mosquitto import MosquittoBroker
from devstack.processes import free_port
from services.ingest.service import IngestService
from services.ingest.settings import IngestSettings
from services.storage.schema import readings, rejected_messages

INGEST_ACCOUNT = "envmon-ingest"
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
def running(settings: IngestSettings) -> Iterator[IngestService]:
    service = IngestService(settings)
    service.start()
    if not service.pipeline.consumer.connected.wait(WAIT_SECONDS):
        raise AssertionError("the ingest replica did not connect and subscribe")
    try:
        yield service
    finally:
        service.stop(flush_seconds=10)


@contextmanager
def subprocess_ingest(env: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen([sys.executable, "-m", "services.cli", "ingest"], env={**os.environ, **env})
    try:
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
