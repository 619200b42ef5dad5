"""Helpers for the gateway tests: a gateway subprocess, an MQTT tap on the forwarded frames, DB checks."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from sqlalchemy import Engine, select

from devstack.processes import free_port, port_accepts, stop_process, wait_until
from services.common.mqtt_url import MqttEndpoint
from services.storage.schema import rejected_messages

WAIT_SECONDS = 30.0
GATEWAY_ACCOUNT = "envmon-hj212"
TAP_ACCOUNT = "envmon-ingest"  # may read every envmon/v1 topic
SESSION_EXPIRY_SECONDS = 300


@dataclass
class GatewayProcess:
    env: dict[str, str]
    tcp_port: int = field(default_factory=free_port)
    http_port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def start(self) -> None:
        env = {
            **os.environ,
            **self.env,
            "ENVMON_HJ212_TCP_HOST": "127.0.0.1",
            "ENVMON_HJ212_HTTP_HOST": "127.0.0.1",
            "ENVMON_HJ212_TCP_PORT": str(self.tcp_port),
            "ENVMON_HJ212_HTTP_PORT": str(self.http_port),
        }
        self.process = subprocess.Popen([sys.executable, "-m", "services.cli", "hj212-gateway"], env=env)
        wait_until(
            lambda: port_accepts(self.http_port) and port_accepts(self.tcp_port), "hj212 gateway", process=self.process
        )

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process, stop_signal=signal.SIGTERM)

    def metric(self, name: str, **labels: str) -> float:
        """The current value of one sample on /metrics (0 when absent)."""
        wanted = name + ("{" + ",".join(f'{k}="{v}"' for k, v in sorted(labels.items())) + "}" if labels else "")
        for line in httpx.get(f"{self.http}/metrics").text.splitlines():
            sample, _, value = line.rpartition(" ")
            if sample == wanted:
                return float(value)
        return 0.0


@contextmanager
def running_gateway(env: dict[str, str]) -> Iterator[GatewayProcess]:
    gateway = GatewayProcess(env)
    gateway.start()
    try:
        yield gateway
    finally:
        gateway.stop()


def gateway_environment(database_url: str, mqtt_url: str, **overrides: str) -> dict[str, str]:
    return {
        "ENVMON_DATABASE_URL": database_url,
        "ENVMON_MQTT_URL": mqtt_url,
        "ENVMON_LOG_LEVEL": "WARNING",
        "ENVMON_HJ212_CLIENT_ID": f"hj212-test-{free_port()}",
        "ENVMON_HJ212_REPLY_TIMEOUT": "PT3S",
        "ENVMON_HJ212_PARTIAL_FRAME_TIMEOUT": "PT2S",
        "ENVMON_HJ212_IDLE_TIMEOUT": "PT60S",
        "ENVMON_HJ212_MAX_BAD_FRAMES": "3",
        "ENVMON_HJ212_COMMAND_TIMEOUT": "PT5S",
        "ENVMON_HJ212_UNKNOWN_MN_RELOAD": "PT0.5S",
        **overrides,
    }


@dataclass(frozen=True, slots=True)
class Tapped:
    topic: str
    payload: bytes
    gateway: str | None


class MqttTap:
    """Subscribes to every forwarded HJ 212 frame and keeps them for assertions."""

    def __init__(self, mqtt_url: str, topic: str = "envmon/v1/+/hj212", *, session_id: str | None = None) -> None:
        """With ``session_id`` the tap keeps a persistent session: the broker queues for it while it is away."""
        endpoint = MqttEndpoint.parse(mqtt_url)
        self.messages: list[Tapped] = []
        self._lock = threading.Lock()
        self._subscribed = threading.Event()
        self._client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=session_id or "", protocol=mqtt.MQTTv5)
        self._client.username_pw_set(endpoint.username, endpoint.password)
        self._client.on_message = self._on_message
        self._client.on_subscribe = lambda *_: self._subscribed.set()
        self._client.on_connect = lambda client, *_: client.subscribe(topic, qos=1)
        self._client.reconnect_delay_set(1, 2)
        properties = None
        if session_id is not None:
            properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
            properties.SessionExpiryInterval = SESSION_EXPIRY_SECONDS
        self._client.connect(endpoint.host, endpoint.port, clean_start=session_id is None, properties=properties)
        self._client.loop_start()
        if not self._subscribed.wait(WAIT_SECONDS):
            raise TimeoutError("MQTT tap did not subscribe")

    def _on_message(self, _client: Any, _userdata: Any, message: mqtt.MQTTMessage) -> None:
        properties = getattr(message.properties, "UserProperty", None) or []
        gateway = dict(properties).get("gateway")
        with self._lock:
            self.messages.append(Tapped(message.topic, bytes(message.payload), gateway))

    def on(self, topic: str) -> list[Tapped]:
        with self._lock:
            return [m for m in self.messages if m.topic == topic]

    def clear(self) -> None:
        with self._lock:
            self.messages.clear()

    def close(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()


def rejects(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as connection:
        rows = connection.execute(select(rejected_messages).order_by(rejected_messages.c.id)).mappings()
        return [dict(row) for row in rows]
