"""The HJ 212 TCP gateway's settings (``ENVMON_HJ212_*`` plus the shared ``ENVMON_*``).

``ENVMON_MQTT_URL`` must carry the ``envmon-hj212`` account: its ACL lets the gateway write
``envmon/v1/+/hj212`` and read ``envmon/v1/+/hj212/reply``.
"""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field, model_validator

from services.common.settings import CommonSettings
from services.standards.hj212 import MAX_DATA_LENGTH

HJ212_2017_MAX_DATA_LENGTH = MAX_DATA_LENGTH[1]


class HJ212GatewaySettings(CommonSettings):
    hj212_tcp_host: str = "0.0.0.0"  # data loggers connect from the field
    hj212_tcp_port: int = Field(default=9212, ge=0, le=65535)
    hj212_http_host: str = "0.0.0.0"  # scraped by Prometheus from outside the container
    hj212_http_port: int = Field(default=8004, ge=0, le=65535)
    hj212_client_id: str = "envmon-hj212-gateway"
    # Bearer token for the admin (command) endpoints; without one they are open in development only.
    hj212_admin_token: str | None = None
    # Largest data segment accepted; 1024 is the 2017 limit. Raise it (≤ 9999) only for 2025 devices.
    hj212_max_data_length: int = Field(default=HJ212_2017_MAX_DATA_LENGTH, ge=64, le=9999)
    # A logger that sends only hourly data is silent for an hour; the idle limit must exceed that.
    hj212_idle_timeout: timedelta = timedelta(minutes=65)
    # Once a frame has started, ALL of it must arrive within this (a whole-frame deadline, not a per-read
    # one: a 1 byte/s drip is cut off here). Time the gateway itself holds the connection back is not counted.
    hj212_partial_frame_timeout: timedelta = timedelta(seconds=30)
    hj212_max_bad_frames: int = Field(default=5, ge=1)
    hj212_max_connections: int = Field(default=5000, ge=1)
    # After a gateway restart every logger reconnects at once; a short accept queue would leave
    # connections half-open for tens of seconds (SYN-ACK retries). The kernel caps it at somaxconn.
    hj212_listen_backlog: int = Field(default=4096, ge=1)
    # How long a frame may wait for the broker's PUBACK; without it the logger gets no reply and resends.
    hj212_reply_timeout: timedelta = timedelta(seconds=10)
    hj212_command_timeout: timedelta = timedelta(seconds=30)
    hj212_registry_refresh: timedelta = timedelta(seconds=60)
    # An unknown MN triggers a registry reload, at most this often (newly registered loggers work at once).
    hj212_unknown_mn_reload: timedelta = timedelta(seconds=5)
    hj212_max_inflight: int = Field(default=1000, ge=1, le=65535)
    # Frames awaiting the broker's PUBACK, at most; beyond it sessions stop reading their loggers
    # (backpressure). Bounds the memory a broker outage can take: this × the largest frame (≈ 1 KiB at 2017 sizes).
    hj212_max_queued: int = Field(default=5000, ge=1)
    hj212_pending_packet_groups: int = Field(default=16, ge=1)
    # History backfill: look this many days back for hours without any reading of a station.
    hj212_backfill_days: int = Field(default=7, ge=1, le=366)
    # Hours younger than this are not gaps yet (the logger may still be sending them).
    hj212_backfill_grace: timedelta = timedelta(hours=2)
    # Period of the automatic backfill of connected loggers; zero disables it (the admin endpoint remains).
    hj212_backfill_interval: timedelta = timedelta(0)
    hj212_backfill_max_requests: int = Field(default=24, ge=1)

    @model_validator(mode="after")
    def _idle_exceeds_partial(self) -> HJ212GatewaySettings:
        if self.hj212_idle_timeout < self.hj212_partial_frame_timeout:
            raise ValueError("ENVMON_HJ212_IDLE_TIMEOUT must not be shorter than ENVMON_HJ212_PARTIAL_FRAME_TIMEOUT")
        return self
