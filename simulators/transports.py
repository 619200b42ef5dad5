"""Where messages go: MQTT (one client per gateway, with that gateway's own credentials) or the
HJ 212 TCP gateway (one socket per gateway, as a data logger holds). Both fit :class:`Transport`."""

from __future__ import annotations

import socket
import time
from typing import Protocol

import httpx
import paho.mqtt.client as mqtt
import structlog
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from tenacity import retry, retry_if_exception_type, stop_after_delay, wait_fixed

from services.common.mqtt_url import MqttEndpoint
from simulators.messages import Message
from simulators.stations import GatewaySpec

QOS = 1
CONNECT_TIMEOUT_SECONDS = 10.0
PUBLISH_TIMEOUT_SECONDS = 60.0
# Unacknowledged QoS 1 publishes a client keeps in flight before it waits; bounds memory in a replay.
MAX_UNACKED = 500
TCP_TIMEOUT_SECONDS = 10.0
BROKER_WAIT_SECONDS = 120
READY_WAIT_SECONDS = 180

log = structlog.get_logger(__name__)


class Transport(Protocol):
    def send(self, message: Message) -> None: ...

    def flush(self) -> None:
        """Block until everything sent so far is acknowledged by the broker (or written)."""

    def close(self) -> None: ...


@retry(retry=retry_if_exception_type(OSError), stop=stop_after_delay(BROKER_WAIT_SECONDS), wait=wait_fixed(1),
       reraise=True)
def _connect(client: mqtt.Client, endpoint: MqttEndpoint) -> None:
    """The broker may still be starting (make run starts everything at once)."""
    client.connect(endpoint.host, endpoint.port, keepalive=30)


class MqttTransport:
    """MQTT 5 clients, one per gateway, connected lazily with the gateway's own account."""

    def __init__(self, endpoint: MqttEndpoint, gateways: tuple[GatewaySpec, ...], client_prefix: str = "sim") -> None:
        self._endpoint = endpoint
        self._gateways = {g.id: g for g in gateways}
        self._prefix = client_prefix
        self._clients: dict[str, mqtt.Client] = {}
        self._pending: dict[str, list[mqtt.MQTTMessageInfo]] = {}

    def _client(self, gateway_id: str) -> mqtt.Client:
        if gateway_id in self._clients:
            return self._clients[gateway_id]
        gateway = self._gateways[gateway_id]
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"{self._prefix}-{gateway_id}",
                             protocol=MQTTProtocolVersion.MQTTv5)
        client.username_pw_set(gateway.id, gateway.password)
        client.max_queued_messages_set(0)
        _connect(client, self._endpoint)
        client.loop_start()
        self._wait_connected(client, gateway_id)
        self._clients[gateway_id] = client
        self._pending[gateway_id] = []
        return client

    @staticmethod
    def _wait_connected(client: mqtt.Client, gateway_id: str) -> None:
        deadline = time.monotonic() + CONNECT_TIMEOUT_SECONDS
        while not client.is_connected():
            if time.monotonic() > deadline:
                client.loop_stop()
                raise ConnectionError(f"gateway {gateway_id} could not connect to the broker (check its password)")
            time.sleep(0.02)

    def send(self, message: Message) -> None:
        client = self._client(message.gateway)
        pending = self._pending[message.gateway]
        pending.append(client.publish(message.topic, message.payload, qos=QOS))
        if len(pending) >= MAX_UNACKED:
            self._drain(message.gateway)

    def _drain(self, gateway_id: str) -> None:
        for info in self._pending[gateway_id]:
            info.wait_for_publish(PUBLISH_TIMEOUT_SECONDS)
        self._pending[gateway_id] = []

    def flush(self) -> None:
        for gateway_id in self._clients:
            self._drain(gateway_id)

    def close(self) -> None:
        self.flush()
        for client in self._clients.values():
            client.disconnect()
            client.loop_stop()
        self._clients.clear()


class TcpTransport:
    """HJ 212 frames over TCP to the platform's gateway; replies are read and discarded."""

    def __init__(self, host: str, port: int) -> None:
        self._address = (host, port)
        self._sockets: dict[str, socket.socket] = {}

    def send(self, message: Message) -> None:
        if message.gateway not in self._sockets:
            self._sockets[message.gateway] = socket.create_connection(self._address, timeout=TCP_TIMEOUT_SECONDS)
        connection = self._sockets[message.gateway]
        try:
            connection.sendall(message.payload)
        except OSError:
            log.warning("hj212 connection lost; reconnecting", gateway=message.gateway)
            connection.close()
            self._sockets[message.gateway] = socket.create_connection(self._address, timeout=TCP_TIMEOUT_SECONDS)
            self._sockets[message.gateway].sendall(message.payload)

    def flush(self) -> None:
        """TCP has no acknowledgements of its own; the gateway's replies are not awaited."""

    def close(self) -> None:
        for connection in self._sockets.values():
            connection.close()
        self._sockets.clear()


@retry(stop=stop_after_delay(READY_WAIT_SECONDS), wait=wait_fixed(1), reraise=True)
def wait_for_ready(url: str) -> None:
    """Publishing before ingest has subscribed would lose the messages, so wait for its /readyz."""
    httpx.get(url, timeout=2).raise_for_status()
