"""The shared MQTT client builder: MQTT 5 with the endpoint's credentials, on a real broker; TLS for mqtts://,
verified against the trust store, on a real TLS listener."""

from __future__ import annotations

import ssl
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from devstack.mosquitto import MosquittoBroker
from devstack.processes import (
    free_port,
    hand_over,
    port_accepts,
    private_directory,
    stop_process,
    unprivileged,
    wait_until,
)
from services.common.mqtt_client import KEEPALIVE_SECONDS, mqtt_client
from services.common.mqtt_url import MqttEndpoint

pytestmark = pytest.mark.integration

TOPIC = "envmon/v1/PYJ-JINHUA/water"


def test_mqtts_means_tls_on_8883_and_mqtt_plain_on_1883() -> None:
    assert MqttEndpoint.parse("mqtts://gw:pw@broker.example") == MqttEndpoint("broker.example", 8883, "gw", "pw", True)
    assert MqttEndpoint.parse("mqtt://broker.example").port == 1883
    with pytest.raises(ValueError, match="mqtts://"):
        MqttEndpoint.parse("tcp://broker.example")


def test_a_built_client_speaks_mqtt_5_with_the_endpoints_account(
    broker: MosquittoBroker, mqtt_accounts: dict[str, str]
) -> None:
    """User properties exist only in MQTT 5: one sent by a built publisher reaches a built subscriber."""
    received: list[mqtt.MQTTMessage] = []
    arrived, subscribed = threading.Event(), threading.Event()
    reader = MqttEndpoint.parse(broker.url("envmon-ingest", mqtt_accounts["envmon-ingest"]))
    subscriber = mqtt_client(reader, "t-sub")
    publisher = mqtt_client(MqttEndpoint.parse(broker.url("gw-pyj-jinhua", mqtt_accounts["gw-pyj-jinhua"])), "t-pub")

    def on_message(_client: mqtt.Client, _userdata: object, message: mqtt.MQTTMessage) -> None:
        received.append(message)
        arrived.set()

    subscriber.on_subscribe = lambda *_args: subscribed.set()
    subscriber.on_message = on_message
    try:
        for client in (subscriber, publisher):
            client.connect(reader.host, reader.port, KEEPALIVE_SECONDS)
            client.loop_start()
        subscriber.subscribe(TOPIC, qos=1)
        assert subscribed.wait(10)
        properties = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
        properties.UserProperty = ("gateway", "gw-pyj-jinhua")
        publisher.publish(TOPIC, b"{}", qos=1, properties=properties).wait_for_publish(10)
        assert arrived.wait(10)
    finally:
        for client in (subscriber, publisher):
            client.disconnect()
            client.loop_stop()
    assert received[0].properties.UserProperty == [("gateway", "gw-pyj-jinhua")]  # type: ignore[union-attr]


@pytest.fixture
def tls_broker() -> Iterator[tuple[int, Path]]:
    """A private Mosquitto with a TLS listener only, its self-signed certificate for 127.0.0.1, and that certificate."""
    directory = private_directory("mqtt-tls")
    directory.mkdir(parents=True, exist_ok=True)
    certificate, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1"),
            *("-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(certificate)),
        ],
        check=True,
        capture_output=True,
    )
    port = free_port()
    conf = directory / "mosquitto.conf"
    conf.write_text(
        f"per_listener_settings false\nallow_anonymous true\nlistener {port} 127.0.0.1\n"
        f"certfile {certificate}\nkeyfile {key}\nlog_dest stderr\n"
    )
    hand_over(directory)
    process = subprocess.Popen(["mosquitto", "-c", str(conf)], stderr=subprocess.DEVNULL, **unprivileged())
    try:
        wait_until(lambda: port_accepts(port), "the TLS broker", process=process)
        yield port, certificate
    finally:
        stop_process(process)


def test_mqtts_connects_over_tls_verifying_the_broker(
    tls_broker: tuple[int, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    port, certificate = tls_broker
    endpoint = MqttEndpoint.parse(f"mqtts://127.0.0.1:{port}")
    untrusted = mqtt_client(endpoint, "tls-untrusted")
    with pytest.raises(ssl.SSLCertVerificationError):
        untrusted.connect(endpoint.host, endpoint.port, KEEPALIVE_SECONDS)
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate))  # a private CA, as docs/ingest.md says
    client = mqtt_client(endpoint, "tls-trusted")
    received = threading.Event()
    client.on_message = lambda *_args: received.set()
    client.on_connect = lambda c, *_args: c.subscribe("envmon/v1/tls", qos=1)
    client.on_subscribe = lambda c, *_args: c.publish("envmon/v1/tls", b"over TLS", qos=1)
    try:
        client.connect(endpoint.host, endpoint.port, KEEPALIVE_SECONDS)
        client.loop_start()
        assert received.wait(10)
    finally:
        client.disconnect()
        client.loop_stop()
