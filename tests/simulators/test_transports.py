from __future__ import annotations

import json
import queue
import socket
import threading
from datetime import datetime, timedelta

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

from services.common.mqtt_url import MqttEndpoint
from services.devstack.mosquitto import MosquittoBroker
from services.standards import hj212
from simulators.messages import Format
from simulators.plan import PlanConfig, plan
from simulators.runner import replay
from simulators.stations import load_gateways, select_gateways
from simulators.transports import MqttTransport, TcpTransport
from simulators.values import SHANGHAI

START = datetime(2026, 1, 10, tzinfo=SHANGHAI)


def test_each_gateway_publishes_with_its_own_account(broker: MosquittoBroker, mqtt_accounts: dict[str, str]) -> None:
    received: queue.Queue[mqtt.MQTTMessage] = queue.Queue()
    listener = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="test-sim-listener",
                           protocol=MQTTProtocolVersion.MQTTv5)
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
        report = replay(PlanConfig(batch=True), gateways, START, START + timedelta(days=2), transport)
        transport.close()
        messages = [received.get(timeout=5) for _ in range(report.messages)]
    finally:
        listener.loop_stop()
        listener.disconnect()
    topics = {m.topic for m in messages}
    assert "envmon/v1/AIR-ZHUJI/air" in topics and "envmon/v1/WST-LANDFILL/waste" in topics
    entries = [e for m in messages for e in json.loads(m.payload)["readings"]]
    assert sum(len(e["values"]) for e in entries) == report.readings


def test_tcp_transport_writes_frames_a_logger_would_send() -> None:
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    chunks: list[bytes] = []

    def accept() -> None:
        connection, _ = server.accept()
        with connection:
            while data := connection.recv(65536):
                chunks.append(data)

    thread = threading.Thread(target=accept)
    thread.start()
    gateways = select_gateways(load_gateways(), ["gw-pyj-jinhua"])
    messages = plan(PlanConfig(format=Format.HJ212), gateways, START, START + timedelta(hours=3))
    transport = TcpTransport("127.0.0.1", port)
    for message in messages:
        transport.send(message)
    transport.close()
    thread.join(5)
    server.close()
    reader = hj212.FrameReader()
    frames = [hj212.parse(f) for f in reader.feed(b"".join(chunks)) if isinstance(f, bytes)]
    assert [f.data_time for f in frames] == [START + timedelta(hours=h) for h in range(3)]
