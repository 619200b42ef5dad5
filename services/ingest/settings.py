"""The ingest service's settings (``ENVMON_INGEST_*`` plus the shared ``ENVMON_*``).

The batch bounds and the broker's in-flight window are sized together: the broker hands this
replica at most ``receive_maximum`` unacked messages, and a message is acked only after its
batch commits, so the batch being committed, the one waiting behind it and the one filling must
all fit in that window (2,000 messages × ~8 readings ≥ 3 × 4,000 rows) or the stream stalls.
"""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field

from services.broker.tuning import BROKER_TUNING
from services.common import topics
from services.common.settings import CommonSettings

BROKER_INFLIGHT_WINDOW = int(BROKER_TUNING["max_inflight_messages"])
# A stopped replica's queued messages must survive a long weekend outage of the service.
SESSION_EXPIRY_SECONDS = 14 * 24 * 3600
# One replica: a plain subscription, which Mosquitto 2.0 restores from its store after a restart,
# so nothing published before the replica reconnects is lost. Scale-out sets the shared
# topics.INGEST_SUBSCRIPTION instead (docs/ingest.md, "Broker restarts", for its restart window).
SINGLE_REPLICA_SUBSCRIPTION = f"{topics.ROOT}/#"


class IngestSettings(CommonSettings):
    # One fixed id per replica: the broker keeps that replica's persistent session under it.
    ingest_client_id: str = "envmon-ingest-1"
    ingest_subscription: str = SINGLE_REPLICA_SUBSCRIPTION
    ingest_http_port: int = Field(default=8001, ge=1, le=65535)
    ingest_http_host: str = "0.0.0.0"
    ingest_batch_rows: int = Field(default=4000, ge=1)
    ingest_flush_interval: timedelta = timedelta(milliseconds=200)
    # At least two so that receiving the next messages overlaps the current commit.
    ingest_receive_maximum: int = Field(default=BROKER_INFLIGHT_WINDOW, ge=2, le=65535)
    ingest_session_expiry_seconds: int = Field(default=SESSION_EXPIRY_SECONDS, ge=0)
    # Below the broker's max_packet_size (2 MiB) so that an oversized message reaches us and is
    # rejected with a reason instead of being dropped silently by the broker.
    ingest_max_payload_bytes: int = Field(default=2_000_000, ge=1024)
    ingest_max_readings_per_message: int = Field(default=10_000, ge=1)
    ingest_max_future: timedelta = timedelta(minutes=10)
    ingest_late_after: timedelta = timedelta(hours=2)
    ingest_registry_refresh: timedelta = timedelta(seconds=60)
