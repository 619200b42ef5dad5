"""The paho-mqtt adapter: one persistent MQTT 5 session per replica, manual acks, replies.

Reconnect ownership: paho's network thread (``loop_start``) owns the socket and reconnects with
the backoff below; the service never calls ``reconnect`` itself. Each successful CONNACK starts a
new *generation*. A message is acked only on the connection it arrived on: after a reconnect the
broker redelivers every unacked message under its original packet id, so acking an old copy could
acknowledge a different, not yet stored message that reuses that id. The redelivered copy is
stored again as a duplicate (a no-op) and acked instead.

Every CONNACK re-subscribes (idempotent), whether or not the broker kept the session: Mosquitto
2.0 restores a persistent session's queue and in-flight messages from its store after a restart,
but not its shared (``$share/…``) subscriptions — see docs/ingest.md, "Broker restarts".
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime

import paho.mqtt.client as mqtt
import structlog
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode
from paho.mqtt.subscribeoptions import SubscribeOptions

from services.common.mqtt_client import KEEPALIVE_SECONDS, mqtt_client
from services.ingest.messages import InboundMessage, Publication
from services.ingest.metrics import IngestMetrics
from services.ingest.settings import IngestSettings

# Replies (rejects, HJ 212 9014) are QoS 1 so a gateway that is briefly offline still gets them.
REPLY_QOS = 1
SUBSCRIBE_QOS = 1
GATEWAY_PROPERTY = "gateway"
SHARED_PREFIX = "$share/"

log = structlog.get_logger(__name__)


def _properties(packet_type: int) -> Properties:
    return Properties(packet_type)  # type: ignore[no-untyped-call]  # paho leaves this constructor untyped


def subscribe_options(subscription: str) -> SubscribeOptions:
    """QoS 1, no retained messages (alert states are not readings); a plain subscription also skips
    our own replies (No Local), which MQTT 5 forbids on a shared one."""
    shared = subscription.startswith(SHARED_PREFIX)
    return SubscribeOptions(qos=SUBSCRIBE_QOS, noLocal=not shared, retainHandling=SubscribeOptions.RETAIN_DO_NOT_SEND)


class BrokerConsumer:
    def __init__(
        self, settings: IngestSettings, deliver: Callable[[InboundMessage], None], metrics: IngestMetrics
    ) -> None:
        self._settings = settings
        self._deliver = deliver
        self._metrics = metrics
        self._received = 0  # numbers the messages in receive order (InboundMessage.seq)
        self.generation = 0
        self.connected = threading.Event()
        self.accepting = True  # cleared at shutdown: later messages stay unacked for the next run
        # outgoing replies are never dropped client-side (the builder leaves paho's queue unbounded)
        client = mqtt_client(settings.mqtt, settings.ingest_client_id, manual_ack=True)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.on_subscribe = self._on_subscribe
        self._client = client

    def _connect_properties(self) -> Properties:
        properties = _properties(PacketTypes.CONNECT)
        properties.SessionExpiryInterval = self._settings.ingest_session_expiry_seconds
        properties.ReceiveMaximum = self._settings.ingest_receive_maximum
        return properties

    def start(self) -> None:
        endpoint = self._settings.mqtt
        self._client.connect_async(
            endpoint.host, endpoint.port, KEEPALIVE_SECONDS, clean_start=False, properties=self._connect_properties()
        )
        self._client.loop_start()

    def stop(self) -> None:
        """Disconnect (the session and its subscription stay on the broker) and end the network thread."""
        self._client.disconnect()
        self._client.loop_stop()
        self.connected.clear()
        self._metrics.broker_connected.set(0)

    def _on_connect(
        self,
        client: mqtt.Client,
        _userdata: object,
        flags: mqtt.ConnectFlags,
        reason_code: ReasonCode,
        _properties: Properties | None,
    ) -> None:
        if reason_code.is_failure:
            log.error("broker refused the connection", reason=str(reason_code))
            return
        self.generation += 1
        subscription = self._settings.ingest_subscription
        client.subscribe(subscription, options=subscribe_options(subscription))
        log.info("connected to the broker", session_present=flags.session_present, generation=self.generation)

    def _on_subscribe(
        self,
        _client: mqtt.Client,
        _userdata: object,
        _mid: int,
        reason_codes: list[ReasonCode],
        _properties: Properties | None,
    ) -> None:
        if any(code.is_failure for code in reason_codes):
            log.error("broker refused the subscription", subscription=self._settings.ingest_subscription)
            return
        self.connected.set()  # "connected" means messages can flow: the subscription is in place
        self._metrics.broker_connected.set(1)

    def _on_disconnect(
        self,
        _client: mqtt.Client,
        _userdata: object,
        _flags: mqtt.DisconnectFlags,
        reason_code: ReasonCode,
        _properties: Properties | None,
    ) -> None:
        self.connected.clear()
        self._metrics.broker_connected.set(0)
        log.warning("disconnected from the broker", reason=str(reason_code))

    def _on_message(self, _client: mqtt.Client, _userdata: object, message: mqtt.MQTTMessage) -> None:
        if not self.accepting:
            return
        properties = getattr(message, "properties", None)
        correlation = getattr(properties, "CorrelationData", None)
        gateway = next(
            (value for key, value in getattr(properties, "UserProperty", None) or () if key == GATEWAY_PROPERTY), None
        )
        seq, self._received = self._received, self._received + 1
        self._deliver(
            InboundMessage(
                seq=seq,
                mid=message.mid,
                qos=message.qos,
                topic=message.topic,
                payload=bytes(message.payload),
                received_at=datetime.now(UTC),
                generation=self.generation,
                correlation_data=bytes(correlation) if correlation is not None else None,
                gateway=gateway,
            )
        )

    def ack(self, message: InboundMessage) -> bool:
        """PUBACK a stored message; False when it arrived on an earlier connection (see module doc)."""
        if message.qos == 0:
            return True
        if message.generation != self.generation:
            return False
        self._client.ack(message.mid, message.qos)
        return True

    def publish(self, publication: Publication) -> None:
        properties = None
        if publication.correlation_data is not None:
            properties = _properties(PacketTypes.PUBLISH)
            properties.CorrelationData = publication.correlation_data
        self._client.publish(publication.topic, publication.payload, qos=REPLY_QOS, properties=properties)
