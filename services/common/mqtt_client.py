"""The one way the platform builds a paho client: MQTT 5, credentials and TLS from the endpoint,
keepalive and a bounded reconnect backoff. Used by ingest, the HJ 212 gateway, the alerts
publisher and the simulators, so a broker setting (TLS, a new account) is honoured by all of them.

TLS (``mqtts://``) verifies the broker against the system trust store; a private CA is added with
OpenSSL's ``SSL_CERT_FILE``. Nothing is dropped client-side: paho's outgoing queue is unbounded here,
and the callers bound what they hand it (e.g. the gateway's forward queue).
"""

from __future__ import annotations

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

from services.common.mqtt_url import MqttEndpoint

KEEPALIVE_SECONDS = 30
RECONNECT_MIN_SECONDS = 1
RECONNECT_MAX_SECONDS = 30


def mqtt_client(endpoint: MqttEndpoint, client_id: str, *, manual_ack: bool = False) -> mqtt.Client:
    """A paho client for ``endpoint``, not yet connected (``connect``/``connect_async`` with
    ``endpoint.host``, ``endpoint.port`` and ``KEEPALIVE_SECONDS``; the callbacks are the caller's)."""
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2,
        client_id=client_id,
        protocol=MQTTProtocolVersion.MQTTv5,
        manual_ack=manual_ack,
        reconnect_on_failure=True,
    )
    if endpoint.username is not None:
        client.username_pw_set(endpoint.username, endpoint.password)
    if endpoint.tls:
        client.tls_set()
    client.reconnect_delay_set(RECONNECT_MIN_SECONDS, RECONNECT_MAX_SECONDS)
    client.max_queued_messages_set(0)
    return client
