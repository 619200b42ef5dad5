"""The reply is the logger's receipt: it must come only after the broker has accepted the frame."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from datetime import datetime, timedelta

import httpx
import pytest
from sqlalchemy import Engine

from devstack.mosquitto import MosquittoBroker, start_registry_broker
from devstack.postgres import PostgresCluster
from devstack.processes import private_directory
from services.standards import hj212
from services.standards.hj212 import Command, Frame
from services.standards.local_time import BEIJING_TIME
from simulators.hj212_tcp import LoggerIdentity, TcpDataLogger
from tests.support.hj212_gateway import (
    GATEWAY_ACCOUNT,
    TAP_ACCOUNT,
    GatewayProcess,
    MqttTap,
    gateway_environment,
    running_gateway,
)
from tests.support.ingest import wait_for

pytestmark = pytest.mark.integration

SH = BEIJING_TIME
JINHUA = LoggerIdentity(mn="330681000000000000000001", pw="123456")
TOPIC = "envmon/v1/PYJ-JINHUA/hj212"
HOUR = datetime(2026, 11, 27, 10, tzinfo=SH)
OUTAGE_PROBE_SECONDS = 2.0


@pytest.fixture
def private_broker(engine: Engine) -> Iterator[MosquittoBroker]:
    broker = start_registry_broker(private_directory("hj212-outage"), engine, persistence=True)
    yield broker
    broker.destroy()


def test_no_reply_while_the_broker_is_down_and_the_reply_once_it_accepts(
    postgres: PostgresCluster, private_broker: MosquittoBroker, mqtt_accounts: dict[str, str]
) -> None:
    env = gateway_environment(
        postgres.url,
        private_broker.url(GATEWAY_ACCOUNT, mqtt_accounts[GATEWAY_ACCOUNT]),
        ENVMON_HJ212_REPLY_TIMEOUT="PT40S",
    )
    tap = MqttTap(private_broker.url(TAP_ACCOUNT, mqtt_accounts[TAP_ACCOUNT]), session_id="hj212-outage-tap")
    try:
        with running_gateway(env) as gateway:
            before, during = asyncio.run(outage(gateway, private_broker))
    finally:
        tap.close()
    assert before is not None and before.cn == Command.DATA_REPLY
    assert during.cn == Command.DATA_REPLY
    wait_for(lambda: len(tap.on(TOPIC)) == 2, "both frames at the subscriber, the second after the restart")
    assert [hj212.parse(m.payload).data_time for m in tap.on(TOPIC)] == [HOUR, HOUR + timedelta(hours=1)]


async def outage(gateway: GatewayProcess, broker: MosquittoBroker) -> tuple[Frame | None, Frame]:
    async with TcpDataLogger("127.0.0.1", gateway.tcp_port, JINHUA, reply_timeout=60.0) as station:
        before = await station.upload_hour(HOUR)
        broker.stop()
        await asyncio.to_thread(wait_for, lambda: gateway.metric("envmon_hj212_mqtt_connected") == 0, "disconnect")
        pending = asyncio.create_task(station.upload_hour(HOUR + timedelta(hours=1)))
        await asyncio.sleep(OUTAGE_PROBE_SECONDS)
        assert not pending.done(), "the gateway replied although the broker could not have accepted the frame"
        await asyncio.to_thread(broker.start)
        during = await pending
    assert during is not None
    return before, during


def test_admin_endpoints_need_the_token_and_health_reports_the_broker(
    postgres: PostgresCluster, private_broker: MosquittoBroker, mqtt_accounts: dict[str, str]
) -> None:
    env = gateway_environment(
        postgres.url,
        private_broker.url(GATEWAY_ACCOUNT, mqtt_accounts[GATEWAY_ACCOUNT]),
        ENVMON_HJ212_ADMIN_TOKEN="s3cret",
    )
    with running_gateway(env) as gateway:
        wait_for(lambda: httpx.get(f"{gateway.http}/healthz").status_code == 200, "healthy")
        assert httpx.get(f"{gateway.http}/healthz").json() == {"listening": True, "broker": True, "loggers": 0}
        without = httpx.post(f"{gateway.http}/loggers/{JINHUA.mn}/get-time")
        wrong = httpx.post(f"{gateway.http}/loggers/{JINHUA.mn}/get-time", headers={"Authorization": "Bearer x"})
        right = httpx.post(f"{gateway.http}/loggers/{JINHUA.mn}/get-time", headers={"Authorization": "Bearer s3cret"})
        private_broker.stop()
        wait_for(lambda: httpx.get(f"{gateway.http}/healthz").status_code == 503, "unhealthy without the broker")
    assert (without.status_code, wrong.status_code, right.status_code) == (401, 401, 200)
    assert right.json()["outcome"] == "not_connected"


def test_a_broker_outage_fills_the_forward_queue_to_its_bound_then_holds_the_loggers_back(
    postgres: PostgresCluster,
    private_broker: MosquittoBroker,
    mqtt_accounts: dict[str, str],
    fleet: list[LoggerIdentity],
) -> None:
    """During an outage frames wait for the broker in a bounded queue; once it is full the sessions stop
    reading their loggers (TCP flow control) instead of buffering more; after the reconnect it drains."""
    env = gateway_environment(
        postgres.url,
        private_broker.url(GATEWAY_ACCOUNT, mqtt_accounts[GATEWAY_ACCOUNT]),
        ENVMON_HJ212_MAX_QUEUED="4",
        ENVMON_HJ212_REPLY_TIMEOUT="PT1S",
    )

    async def keep_uploading(gateway: GatewayProcess, identity: LoggerIdentity) -> None:
        async with TcpDataLogger("127.0.0.1", gateway.tcp_port, identity, reply_timeout=1.0) as station:
            for hour in range(3):
                with contextlib.suppress(TimeoutError):
                    await station.upload_hour(HOUR + timedelta(hours=hour))

    async def loggers(gateway: GatewayProcess) -> None:
        await asyncio.gather(*(keep_uploading(gateway, identity) for identity in fleet[:8]))

    with running_gateway(env) as gateway:
        private_broker.stop()
        wait_for(lambda: gateway.metric("envmon_hj212_mqtt_connected") == 0, "the gateway to notice the outage")
        asyncio.run(loggers(gateway))
        assert gateway.metric("envmon_hj212_forward_queue") == 4
        assert gateway.metric("envmon_hj212_forward_waits_total") >= 1
        private_broker.start()
        wait_for(lambda: gateway.metric("envmon_hj212_forward_queue") == 0, "the queue to drain after the reconnect")
