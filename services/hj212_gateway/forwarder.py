"""Publishes frames to the broker with QoS 1 and resolves an asyncio future on the broker's PUBACK.

paho runs its network loop in its own thread; ``on_publish`` hands each outcome back to the event
loop with ``call_soon_threadsafe``. A publish made while the broker is away stays queued in paho
and goes out after the reconnect, so its future resolves then (or the caller's timeout fires first).

Bounded: at most ``max_queued`` frames wait for their PUBACK (queued in paho or in flight). A
session that wants to forward one more waits for room *before* its reply timeout starts, and reads
nothing from its logger meanwhile, so a broker outage holds loggers back through TCP flow control
instead of growing the gateway's memory. A slot is freed by the broker's answer, never by a caller
that stopped waiting: paho still holds that frame.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import paho.mqtt.client as mqtt
import structlog
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from services.common.mqtt_client import KEEPALIVE_SECONDS, mqtt_client
from services.common.mqtt_url import MqttEndpoint
from services.hj212_gateway.metrics import GatewayMetrics

log = structlog.get_logger(__name__)

GATEWAY_USER_PROPERTY = "gateway"  # the ingest service reads the originating gateway from it


class BrokerRefused(Exception):
    """The broker answered the PUBLISH with a failure reason code (e.g. not authorized)."""


class Forwarder:
    def __init__(
        self, endpoint: MqttEndpoint, *, client_id: str, max_inflight: int, max_queued: int, metrics: GatewayMetrics
    ) -> None:
        self._endpoint = endpoint
        self._metrics = metrics
        self._slots = asyncio.Semaphore(max_queued)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pending: dict[int, asyncio.Future[None]] = {}
        self._early: dict[int, ReasonCode] = {}
        self._lock = threading.Lock()  # guards _pending and _early, shared with paho's network thread
        self._connected = threading.Event()
        self._client = mqtt_client(endpoint, client_id)
        self._client.max_inflight_messages_set(max_inflight)
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_publish = self._on_publish

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._client.connect_async(self._endpoint.host, self._endpoint.port, keepalive=KEEPALIVE_SECONDS)
        self._client.loop_start()

    def stop(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()

    async def wait_connected(self, timeout: float) -> bool:
        return await asyncio.to_thread(self._connected.wait, timeout)

    async def publish(self, topic: str, payload: bytes, *, gateway: str) -> asyncio.Future[None]:
        """Wait for room among the frames awaiting a PUBACK, then queue a QoS 1 PUBLISH; the returned
        future completes on PUBACK or fails with :class:`BrokerRefused`."""
        assert self._loop is not None, "start() first"
        if self._slots.locked():
            self._metrics.forward_waits.inc()
        await self._slots.acquire()
        self._metrics.forward_queue.inc()
        properties = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
        properties.UserProperty = (GATEWAY_USER_PROPERTY, gateway)
        future: asyncio.Future[None] = self._loop.create_future()
        future.add_done_callback(_retrieved)  # a refusal after the caller stopped waiting is not an error
        # Never hold our lock while calling paho: it runs on_publish under its own message mutex,
        # which publish() takes too. A PUBACK faster than this registration is parked in _early.
        info = self._client.publish(topic, payload, qos=1, properties=properties)
        with self._lock:
            early = self._early.pop(info.mid, None)
            if early is None:
                self._pending[info.mid] = future
        if early is not None:
            self._answered(future, early)
        return future

    def _on_publish(
        self, _client: mqtt.Client, _userdata: Any, mid: int, reason: ReasonCode, _properties: Properties
    ) -> None:
        with self._lock:
            future = self._pending.pop(mid, None)
            if future is None:
                self._early[mid] = reason
        if future is not None and self._loop is not None:
            self._loop.call_soon_threadsafe(self._answered, future, reason)

    def _answered(self, future: asyncio.Future[None], reason: ReasonCode) -> None:
        """The broker answered a frame (on the event loop): its slot is free, its future settled."""
        self._slots.release()
        self._metrics.forward_queue.dec()
        _settle(future, reason)

    def _on_connect(
        self, _client: mqtt.Client, _userdata: Any, _flags: Any, reason: ReasonCode, _properties: Any
    ) -> None:
        if reason.is_failure:
            log.error("broker refused the connection", reason=str(reason))
            return
        self._connected.set()
        self._metrics.mqtt_connected.set(1)
        log.info("connected to the broker", host=self._endpoint.host, port=self._endpoint.port)

    def _on_disconnect(
        self, _client: mqtt.Client, _userdata: Any, _flags: Any, reason: ReasonCode, _properties: Any
    ) -> None:
        self._connected.clear()
        self._metrics.mqtt_connected.set(0)
        log.warning("disconnected from the broker", reason=str(reason))


def _retrieved(future: asyncio.Future[None]) -> None:
    if not future.cancelled():
        future.exception()


def _settle(future: asyncio.Future[None], reason: ReasonCode) -> None:
    if future.done():
        return
    if reason.is_failure:
        future.set_exception(BrokerRefused(str(reason)))
    else:
        future.set_result(None)
