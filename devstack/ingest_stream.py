"""Synthetic gateway traffic for the ingest tests and benchmark: JSON reading sets and a QoS 1 publisher."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta

import paho.mqtt.client as mqtt

from services.common import topics
from services.common.mqtt_client import KEEPALIVE_SECONDS, mqtt_client
from services.common.mqtt_url import MqttEndpoint

# Eight water parameters per message, all inside their physical ranges.
WATER_VALUES = {"ph": 7.35, "do": 8.12, "codmn": 3.1, "cod": 15.2, "nh3n": 0.41, "tp": 0.12, "tn": 1.8, "temp": 18.5}
PUBLISH_WINDOW = 1000  # unacked QoS 1 publishes a publisher keeps in flight
PUBLISH_BACKLOG = 20_000  # publishes handed to paho and not yet acknowledged (well below 65,535 packet ids)
PUBLISH_TIMEOUT_SECONDS = 600.0


def water_messages(
    count: int, *, station: str = "PYJ-JINHUA", start: datetime, step: timedelta = timedelta(minutes=1)
) -> Iterator[tuple[str, bytes]]:
    """``count`` one-set messages at ``start``, ``start + step``, …; each carries len(WATER_VALUES) readings."""
    topic = topics.data_topic(station, "water")
    for index in range(count):
        moment = (start + index * step).isoformat()
        yield topic, json.dumps({"time": moment, "values": WATER_VALUES}).encode()


def connect(url: str, client_id: str) -> mqtt.Client:
    endpoint = MqttEndpoint.parse(url)
    client = mqtt_client(endpoint, client_id)
    client.max_inflight_messages_set(PUBLISH_WINDOW)
    client.connect(endpoint.host, endpoint.port, KEEPALIVE_SECONDS)
    client.loop_start()
    return client


def publish_all(url: str, messages: Iterable[tuple[str, bytes]], *, client_id: str = "envmon-test-publisher") -> int:
    """Publish at QoS 1 and return once the broker acknowledged (accepted) every message."""
    client = connect(url, client_id)
    settled = threading.Condition()
    pending = published = 0

    def on_publish(*_args: object) -> None:
        nonlocal pending
        with settled:
            pending -= 1
            settled.notify_all()

    def room() -> bool:
        return pending < PUBLISH_BACKLOG

    def all_settled() -> bool:
        return pending == 0

    client.on_publish = on_publish
    try:
        for topic, payload in messages:
            with settled:
                # MQTT packet ids are 16-bit: more unacknowledged publishes than that would reuse ids.
                if not settled.wait_for(room, PUBLISH_TIMEOUT_SECONDS):
                    raise TimeoutError(f"the broker did not acknowledge {pending} of {published} messages")
                pending += 1
            client.publish(topic, payload, qos=1)
            published += 1
        with settled:
            if not settled.wait_for(all_settled, PUBLISH_TIMEOUT_SECONDS):
                raise TimeoutError(f"the broker did not acknowledge {pending} of {published} messages")
    finally:
        client.disconnect()
        client.loop_stop()
    return published
