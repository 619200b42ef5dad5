"""The private broker enforces the generated password file: our $7$ hashes are what Mosquitto checks."""

from __future__ import annotations

import threading

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.reasoncodes import ReasonCode

from devstack.mosquitto import MosquittoBroker

pytestmark = pytest.mark.integration

CONNECT_TIMEOUT_SECONDS = 10


def connect_reason(broker: MosquittoBroker, username: str, password: str) -> ReasonCode:
    outcome: list[ReasonCode] = []
    done = threading.Event()
    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    client.username_pw_set(username, password)

    def on_connect(_c: mqtt.Client, _u: object, _f: object, reason: ReasonCode, _p: object) -> None:
        outcome.append(reason)
        done.set()

    client.on_connect = on_connect
    client.connect("127.0.0.1", broker.port)
    client.loop_start()
    try:
        assert done.wait(CONNECT_TIMEOUT_SECONDS), "no CONNACK"
    finally:
        client.disconnect()
        client.loop_stop()
    return outcome[0]


@pytest.mark.parametrize(
    ("account", "right_password"),
    [("gw-pyj-jinhua", True), ("envmon-ingest", True), ("gw-pyj-jinhua", False), ("nobody", False)],
)
def test_broker_checks_registry_passwords(
    broker: MosquittoBroker, mqtt_accounts: dict[str, str], account: str, right_password: bool
) -> None:
    password = mqtt_accounts.get(account, "x") if right_password else "wrong-password"
    reason = connect_reason(broker, account, password)
    assert reason.is_failure is not right_password
