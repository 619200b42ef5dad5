"""The ingest service's settings (``ENVMON_INGEST_*`` plus the shared ``ENVMON_*``).

The batch bounds and the broker's in-flight window are sized together: the broker hands this
replica at most ``receive_maximum`` unacked messages, and a message is acked only after its
batch commits, so the batch being committed, the one waiting behind it and the one filling must
all fit in that window (2,000 messages × ~8 readings ≥ 3 × 5,000 rows) or the stream stalls.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import Field, field_validator

from services.broker.tuning import BROKER_TUNING
from services.common import topics
from services.common.settings import CommonSettings
from services.standards.local_time import BEIJING_TIME

BROKER_INFLIGHT_WINDOW = int(BROKER_TUNING["max_inflight_messages"])
# A stopped replica's queued messages must survive a long weekend outage of the service.
SESSION_EXPIRY_SECONDS = 14 * 24 * 3600
# One replica: a plain subscription, which Mosquitto 2.0 restores from its store after a restart,
# so nothing published before the replica reconnects is lost. Scale-out sets the shared
# topics.INGEST_SUBSCRIPTION instead (docs/ingest.md, "Broker restarts", for its restart window).
SINGLE_REPLICA_SUBSCRIPTION = f"{topics.ROOT}/#"
# No automatic station in the registry reports from before 2000; older records are archive imports,
# not gateway traffic. Per station, stations.commissioned_on overrides it (docs/ingest.md).
DEFAULT_EARLIEST = datetime(2000, 1, 1, tzinfo=BEIJING_TIME)
# Calendar conversions (Beijing-time days) must work for every accepted time.
EARLIEST_ALLOWED_YEAR = 1900


class IngestSettings(CommonSettings):
    # One fixed id per replica: the broker keeps that replica's persistent session under it.
    ingest_client_id: str = "envmon-ingest-1"
    ingest_subscription: str = SINGLE_REPLICA_SUBSCRIPTION
    ingest_http_port: int = Field(default=8001, ge=1, le=65535)
    ingest_http_host: str = "0.0.0.0"
    ingest_batch_rows: int = Field(default=5000, ge=1)
    ingest_flush_interval: timedelta = timedelta(milliseconds=200)
    # At least two so that receiving the next messages overlaps the current commit.
    ingest_receive_maximum: int = Field(default=BROKER_INFLIGHT_WINDOW, ge=2, le=65535)
    ingest_session_expiry_seconds: int = Field(default=SESSION_EXPIRY_SECONDS, ge=0)
    # Below the broker's max_packet_size (2 MiB) so that an oversized message reaches us and is
    # rejected with a reason instead of being dropped silently by the broker.
    ingest_max_payload_bytes: int = Field(default=2_000_000, ge=1024)
    ingest_max_readings_per_message: int = Field(default=10_000, ge=1)
    ingest_max_future: timedelta = timedelta(minutes=10)
    ingest_earliest: datetime = DEFAULT_EARLIEST
    ingest_late_after: timedelta = timedelta(hours=2)
    ingest_registry_refresh: timedelta = timedelta(seconds=60)
    # One commit statement may take this long before the server cancels it (then retried as transient).
    ingest_commit_timeout: timedelta = timedelta(seconds=60)
    # The worker is killed and restarted when decoding one message takes this long, or a commit attempt
    # this long beyond ingest_commit_timeout; the messages it held become poison suspects.
    ingest_stall_timeout: timedelta = timedelta(seconds=60)
    # A message that was in the worker at this many deaths or stalls is quarantined as poison.
    ingest_poison_crashes: int = Field(default=3, ge=2)

    @field_validator("ingest_earliest")
    @classmethod
    def _aware_and_after_1900(cls, value: datetime) -> datetime:
        if value.utcoffset() is None:
            raise ValueError("ENVMON_INGEST_EARLIEST needs a UTC offset, e.g. 2000-01-01T00:00:00+08:00")
        if value.year < EARLIEST_ALLOWED_YEAR:
            raise ValueError(f"ENVMON_INGEST_EARLIEST must not be before {EARLIEST_ALLOWED_YEAR}")
        return value
