from __future__ import annotations

import json
import queue
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta

import httpx
import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from typer.testing import CliRunner

from devstack.mosquitto import MosquittoBroker
from devstack.postgres import PostgresCluster
from services.common.mqtt_url import MqttEndpoint
from services.standards import hj212
from services.standards.local_time import BEIJING_TIME
from simulators.cli import simulate_app
from simulators.faults import Faults
from simulators.messages import Format, Message
from simulators.plan import CrcChoice, PlanConfig, plan
from simulators.runner import Segment, replay, send_all
from simulators.stations import load_gateways, select_gateways
from simulators.transports import MqttTransport, TcpTransport
from tests.support import hj212_gateway as support
from tests.support.ingest import wait_for

START = datetime(2026, 1, 10, tzinfo=BEIJING_TIME)
HOURS = timedelta(hours=6)
JINHUA_MN = "330681000000000000000001"
JINHUA_TOPIC = "envmon/v1/PYJ-JINHUA/hj212"


@pytest.mark.integration
def test_each_gateway_publishes_with_its_own_account(broker: MosquittoBroker, mqtt_accounts: dict[str, str]) -> None:
    received: queue.Queue[mqtt.MQTTMessage] = queue.Queue()
    listener = mqtt.Client(
        CallbackAPIVersion.VERSION2, client_id="test-sim-listener", protocol=MQTTProtocolVersion.MQTTv5
    )
    listener.username_pw_set("envmon-ingest", mqtt_accounts["envmon-ingest"])
    listener.on_message = lambda _c, _u, message: received.put(message)
    subscribed = threading.Event()
    listener.on_subscribe = lambda *_: subscribed.set()
    listener.connect("127.0.0.1", broker.port)
    # Only the gateways' data topics: the session broker also holds retained alert snapshots.
    listener.subscribe([("envmon/v1/+/air", 1), ("envmon/v1/+/waste", 1)])
    listener.loop_start()
    try:
        assert subscribed.wait(5)
        gateways = select_gateways(load_gateways(), ["gw-air-zhuji", "gw-waste"])
        transport = MqttTransport(MqttEndpoint("127.0.0.1", broker.port, None, None), gateways, "test-sim")
        report, held = replay(PlanConfig(batch=True), [Segment(gateways, START, START + timedelta(days=2))], transport)
        transport.close()
        messages = [received.get(timeout=5) for _ in range(report.messages)]
    finally:
        listener.loop_stop()
        listener.disconnect()
    assert held == []
    topics = {m.topic for m in messages}
    assert "envmon/v1/AIR-ZHUJI/air" in topics and "envmon/v1/WST-LANDFILL/waste" in topics
    entries = [e for m in messages for e in json.loads(m.payload)["readings"]]
    assert sum(len(e["values"]) for e in entries) == report.readings


@pytest.fixture(scope="module")
def gateway(
    postgres: PostgresCluster, broker: MosquittoBroker, mqtt_accounts: dict[str, str]
) -> Iterator[tuple[support.GatewayProcess, support.MqttTap]]:
    """The real HJ 212 gateway on the session database and broker, with a tap on what it forwards."""
    env = support.gateway_environment(
        postgres.url, broker.url(support.GATEWAY_ACCOUNT, mqtt_accounts[support.GATEWAY_ACCOUNT])
    )
    tap = support.MqttTap(broker.url(support.TAP_ACCOUNT, mqtt_accounts[support.TAP_ACCOUNT]))
    try:
        with support.running_gateway(env) as process:
            yield process, tap
    finally:
        tap.close()


def data_times(tap: support.MqttTap, topic: str) -> list[datetime]:
    return sorted(t for m in tap.on(topic) if (t := hj212.parse(m.payload).data_time) is not None)


@pytest.mark.integration
def test_tcp_transport_plays_data_loggers_that_get_replies_and_obey_commands(
    gateway: tuple[support.GatewayProcess, support.MqttTap],
) -> None:
    process, tap = gateway
    tap.clear()
    gateways = select_gateways(load_gateways(), ["gw-pyj-jinhua", "gw-xxj-yangxun"])
    config = PlanConfig(format=Format.HJ212, crc=CrcChoice.REGISTRY, faults=Faults(malformed_rate=0.3))
    messages = plan(config, gateways, START, START + HOURS)
    transport = TcpTransport("127.0.0.1", process.tcp_port, gateways, crc=CrcChoice.REGISTRY, reply_timeout=5.0)
    try:
        send_all(messages, transport)
        malformed = sum(m.note == "malformed" for m in messages)
        assert dict(transport.outcomes) == {"acknowledged": len(messages) - malformed, "malformed": malformed}
        assert malformed > 0
        # The loggers stay connected between sends, so the platform can ask them for their history.
        wait_for(lambda: len(tap.on(JINHUA_TOPIC)) == 6 - malformed_at(messages, "PYJ-JINHUA"), "the uploads")
        tap.clear()
        response = httpx.post(
            f"{process.http}/loggers/{JINHUA_MN}/history",
            timeout=30,
            json={"begin": START.isoformat(), "end": (START + HOURS).isoformat()},
        )
    finally:
        transport.close()
    result = response.json()
    resent = 6 - malformed_at(messages, "PYJ-JINHUA")
    assert (result["outcome"], result["records"]) == ("done", resent)
    wait_for(lambda: len(tap.on(JINHUA_TOPIC)) == resent, "the history re-sends")
    assert set(data_times(tap, JINHUA_TOPIC)) <= {START + timedelta(hours=h) for h in range(6)}


def malformed_at(messages: list[Message], station: str) -> int:
    return sum(m.note == "malformed" and m.station == station for m in messages)


@pytest.mark.integration
def test_envmon_simulate_replays_over_tcp(gateway: tuple[support.GatewayProcess, support.MqttTap]) -> None:
    process, tap = gateway
    tap.clear()
    result = CliRunner().invoke(
        simulate_app,
        [
            "--station",
            "gw-pyj-jinhua",
            "--transport",
            "tcp",
            "--tcp-host",
            "127.0.0.1",
            "--tcp-port",
            str(process.tcp_port),
            "replay",
            "--start",
            START.isoformat(),
            "--end",
            (START + HOURS).isoformat(),
        ],
        env={"ENVMON_LOG_LEVEL": "WARNING"},
    )
    assert result.exit_code == 0, result.output
    assert "sent 6 messages" in result.output
    wait_for(lambda: len(tap.on(JINHUA_TOPIC)) == 6, "six hourly frames")
    assert data_times(tap, JINHUA_TOPIC) == [START + timedelta(hours=h) for h in range(6)]


def test_tcp_needs_stations_with_an_hj212_identity() -> None:
    result = CliRunner().invoke(
        simulate_app,
        [
            "--station",
            "gw-waste",
            "--transport",
            "tcp",
            "replay",
            "--start",
            START.isoformat(),
            "--end",
            (START + HOURS).isoformat(),
        ],
    )
    assert result.exit_code == 2
    assert "HJ 212 MN" in result.output
