"""Settings of the SensorThings service (``ENVMON_SENSORTHINGS_*`` plus the common ones)."""

from __future__ import annotations

from pydantic import Field

from services.common.settings import CommonSettings


class SensorThingsSettings(CommonSettings):
    sensorthings_http_host: str = "127.0.0.1"
    sensorthings_http_port: int = 8005
    # the public root partners use (behind a proxy); links are built from the request when unset
    sensorthings_public_url: str | None = None
    sensorthings_default_top: int = Field(default=100, ge=1, le=10_000)
    sensorthings_max_top: int = Field(default=1000, ge=1, le=10_000)
