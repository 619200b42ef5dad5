"""Broker tuning that the ingest service's ack-after-commit design relies on.

Shared by deploy/mosquitto/mosquitto.conf (tests/broker/test_tuning.py checks it carries every
value), the private brokers of devstack and the ingest settings (their in-flight window).
"""

from __future__ import annotations

# - max_inflight_messages: unacked QoS 1 messages Mosquitto sends one client at a time. Ingest
#   acks only after a commit, so this window must hold the batch being committed, the one queued
#   behind it and the one filling: 2,000 messages of ~8 readings = 16,000 rows = four batches of
#   4,000 rows. The client's MQTT 5 Receive Maximum matches it.
# - max_queued_messages 0: no cap on a persistent session's queue; while ingest or the database
#   is down, the broker holds the backlog instead of dropping (Mosquitto's default is 1,000).
# - persistent_client_expiration: how long a stopped ingest replica's session is kept.
# - autosave_interval: Mosquitto writes its store on shutdown and every this many seconds.
BROKER_TUNING: dict[str, str] = {
    "max_inflight_messages": "2000",
    "max_queued_messages": "0",
    "max_queued_bytes": "0",
    "max_packet_size": "2097152",
    "persistent_client_expiration": "14d",
    "autosave_interval": "30",
    "set_tcp_nodelay": "true",
}
