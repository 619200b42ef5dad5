"""The shared MQTT client builder: MQTT 5 with the endpoint's credentials, on a real broker; TLS from mqtts://."""

from __future__ import annotations

import threading

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from devstack.mosquitto import MosquittoBroker
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
