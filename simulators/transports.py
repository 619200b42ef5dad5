"""Where messages go: MQTT (one client per gateway, with that gateway's own credentials) or the
HJ 212 TCP gateway (one simulated data logger per station). Both fit :class:`Transport`."""

from __future__ import annotations

import asyncio
import functools
import threading
import time
from collections import Counter
from collections.abc import Coroutine, Sequence
from dataclasses import replace
from typing import Protocol, TypeVar

import httpx
import paho.mqtt.client as mqtt
import structlog
from tenacity import retry, retry_if_exception_type, stop_after_delay, wait_fixed

from services.common.mqtt_client import KEEPALIVE_SECONDS, mqtt_client
from services.common.mqtt_url import MqttEndpoint
from services.standards import hj212
from simulators.hj212_tcp import REPLY_TIMEOUT_SECONDS, LoggerIdentity, TcpDataLogger, with_retries
from simulators.messages import Message, supports_hj212
from simulators.plan import CrcChoice, crc_for
from simulators.stations import GatewaySpec
from simulators.values import DEFAULT_SEED

QOS = 1
CONNECT_TIMEOUT_SECONDS = 10.0
PUBLISH_TIMEOUT_SECONDS = 60.0
# Unacknowledged QoS 1 publishes a client keeps in flight before it waits; bounds memory in a replay.
MAX_UNACKED = 500
BROKER_WAIT_SECONDS = 120
READY_WAIT_SECONDS = 180
# What became of a frame sent over TCP (TcpTransport.outcomes).
ACKNOWLEDGED, REFUSED, UNANSWERED, MALFORMED = "acknowledged", "refused", "unanswered", "malformed"

log = structlog.get_logger(__name__)
T = TypeVar("T")


class Transport(Protocol):
    def send(self, message: Message) -> None: ...

    def flush(self) -> None:
        """Block until everything sent so far is acknowledged by the broker (or written)."""

    def close(self) -> None: ...


@retry(
    retry=retry_if_exception_type(OSError), stop=stop_after_delay(BROKER_WAIT_SECONDS), wait=wait_fixed(1), reraise=True
)
def _connect(client: mqtt.Client, endpoint: MqttEndpoint) -> None:
    """The broker may still be starting (make run starts everything at once)."""
    client.connect(endpoint.host, endpoint.port, keepalive=KEEPALIVE_SECONDS)


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
        # the gateway's own account on the configured broker
        account = replace(self._endpoint, username=gateway.id, password=gateway.password)
        client = mqtt_client(account, f"{self._prefix}-{gateway_id}")
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
    """HJ 212 over TCP to the platform's gateway: one :class:`TcpDataLogger` per station, as in the field.

    The loggers live on an event loop in a background thread, so between sends they stay connected and
    obey the platform's commands (time, real-time data, history requests). Each logger sends its frames in
    order and waits for the reply to each before the next; loggers send in parallel. ``outcomes`` counts
    acknowledged, refused, unanswered and malformed sends.
    """

    def __init__(
        self,
        host: str,
        port: int,
        gateways: Sequence[GatewaySpec],
        *,
        crc: CrcChoice = CrcChoice.STANDARD,
        seed: int = DEFAULT_SEED,
        reply_timeout: float = REPLY_TIMEOUT_SECONDS,
    ) -> None:
        self._address = (host, port)
        self._reply_timeout = reply_timeout
        self._identities = {
            spec.code: LoggerIdentity(
                mn=spec.hj212_mn, pw=gateway.hj212_password, crc_variant=crc_for(gateway, crc), station=spec, seed=seed
            )
            for gateway in gateways
            if gateway.hj212_password is not None
            for spec in gateway.stations
            if spec.hj212_mn is not None and supports_hj212(spec)
        }
        self.loggers: dict[str, TcpDataLogger] = {}
        self.outcomes: Counter[str] = Counter()
        self._queues: dict[str, asyncio.Queue[bytes]] = {}
        self._workers: list[asyncio.Task[None]] = []
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="hj212-loggers", daemon=True)
        self._thread.start()

    def _run(self, coroutine: Coroutine[object, object, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result()

    def send(self, message: Message) -> None:
        if message.station not in self._identities:
            raise ValueError(
                f"station {message.station} has no HJ 212 identity (MN and password) in the registry; "
                "the TCP transport sends HJ 212 frames only"
            )
        self._run(self._enqueue(message.station, message.payload))

    async def _enqueue(self, station: str, payload: bytes) -> None:
        if station not in self._queues:
            logger = TcpDataLogger(*self._address, self._identities[station], reply_timeout=self._reply_timeout)
            self.loggers[station] = logger
            self._queues[station] = asyncio.Queue(MAX_UNACKED)  # bounded: a replay waits for slow replies
            self._workers.append(asyncio.create_task(self._work(logger, self._queues[station])))
        await self._queues[station].put(payload)

    async def _work(self, logger: TcpDataLogger, queue: asyncio.Queue[bytes]) -> None:
        while True:
            payload = await queue.get()
            try:
                self.outcomes[await self._deliver(logger, payload)] += 1
            except Exception as error:  # one lost frame must not stop the logger (nor hang flush)
                log.warning("hj212 frame not delivered", mn=logger.identity.mn, error=repr(error))
                self.outcomes[UNANSWERED] += 1
            finally:
                queue.task_done()

    @staticmethod
    async def _deliver(logger: TcpDataLogger, payload: bytes) -> str:
        try:
            frame = hj212.parse(payload, accept_modbus_crc=True)
        except hj212.FrameError:
            # A malformed-payload fault: written as it is; the gateway answers it (or not) as it sees fit.
            await with_retries(logger, functools.partial(logger.send_raw, payload))
            return MALFORMED
        reply = await with_retries(logger, functools.partial(logger.upload, frame, payload))
        if reply is None:
            return UNANSWERED
        return ACKNOWLEDGED if reply.cn == hj212.Command.DATA_REPLY else REFUSED

    def flush(self) -> None:
        """Block until every logger has had the replies to everything sent so far (or given up)."""
        self._run(self._join())

    async def _join(self) -> None:
        await asyncio.gather(*(queue.join() for queue in self._queues.values()))

    def close(self) -> None:
        self.flush()
        self._run(self._stop())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()
        log.info("hj212 loggers closed", **self.outcomes)

    async def _stop(self) -> None:
        for worker in self._workers:
            worker.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)
        await asyncio.gather(*(logger.close() for logger in self.loggers.values()))


@retry(stop=stop_after_delay(READY_WAIT_SECONDS), wait=wait_fixed(1), reraise=True)
def wait_for_ready(url: str) -> None:
    """Publishing before ingest has subscribed would lose the messages, so wait for its /readyz."""
    httpx.get(url, timeout=2).raise_for_status()
