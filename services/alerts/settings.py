"""Settings of the alerts service (env prefix ``ENVMON_``, e.g. ``ENVMON_ALERTS_INTERVAL_SECONDS``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from services.common.settings import CommonSettings

BUILT_IN_RULES = Path(__file__).with_name("rules.yaml")


class AlertsSettings(CommonSettings):
    alerts_http_port: int = 8002
    alerts_http_host: str = "0.0.0.0"
    # How often the compute-evaluate-deliver cycle runs.
    alerts_interval_seconds: float = Field(default=60.0, gt=0)
    alerts_rules_path: Path = BUILT_IN_RULES
    alertmanager_url: str = "http://127.0.0.1:9093"
    # Alertmanager forgets an alert that is not re-sent within resolve_timeout (default 5 min).
    alerts_resend_seconds: float = Field(default=60.0, gt=0)
    alerts_public_url: str = "http://127.0.0.1:8002"
    alerts_mqtt_username: str = "envmon-alerts"
    alerts_mqtt_password: str = "dev-envmon-alerts"
    # The city whose air quality is the mean of these stations (HJ 663 assessment stations).
    alerts_city: str = "绍兴市"
    alerts_city_control_levels: tuple[str, ...] = ("national",)
    # Sections counted in the Class Ⅰ–Ⅲ share KPI.
    alerts_share_control_levels: tuple[str, ...] = ("national", "provincial")
    alerts_silent_after_minutes: int = Field(default=120, gt=0)
    # Readings flagged T/D within this window raise the HJ 212 flag alert.
    alerts_flag_window_minutes: int = Field(default=180, gt=0)
    # A station's expected parameters are those it reported within this many days.
    alerts_programme_days: int = Field(default=7, gt=0)
    # Resolved alerts stay in the retained MQTT snapshot this long.
    alerts_snapshot_keep_resolved_hours: int = Field(default=24, ge=0)
