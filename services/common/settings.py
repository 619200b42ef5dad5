"""The settings every service shares; each service subclasses it once (prefix ``ENVMON_``).

Guard rails follow the FastAPI full-stack template: the wrong driver or a malformed MQTT URL
fails at start-up, and development credentials are refused in production. There is no time-zone
setting: regulatory local time is Beijing time by the standards (services.standards.local_time).
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.common.mqtt_url import MqttEndpoint
from services.standards.reporting import DEFAULT_TABLE, PrecisionTable

SQLALCHEMY_DRIVER_PREFIX = "postgresql+psycopg://"


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class CommonSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ENVMON_", extra="ignore")

    environment: Environment = Environment.DEVELOPMENT
    database_url: str = "postgresql+psycopg://postgres@127.0.0.1:5432/envmon"
    mqtt_url: str = "mqtt://127.0.0.1:1883"
    log_level: str = "INFO"
    # Overrides of unverified reporting precisions, e.g. {"nh3n": 3, "lake:tp": 3} (services.standards.reporting).
    reporting_places: dict[str, int] = {}

    @field_validator("database_url")
    @classmethod
    def _psycopg_driver(cls, value: str) -> str:
        if value.startswith("postgresql://"):
            return SQLALCHEMY_DRIVER_PREFIX + value.removeprefix("postgresql://")
        if not value.startswith(SQLALCHEMY_DRIVER_PREFIX):
            raise ValueError(f"ENVMON_DATABASE_URL must be a {SQLALCHEMY_DRIVER_PREFIX}… URL")
        return value

    @field_validator("mqtt_url")
    @classmethod
    def _mqtt_url(cls, value: str) -> str:
        MqttEndpoint.parse(value)
        return value

    @field_validator("reporting_places")
    @classmethod
    def _known_precisions(cls, value: dict[str, int]) -> dict[str, int]:
        DEFAULT_TABLE.with_overrides(value)
        return value

    @property
    def precision_table(self) -> PrecisionTable:
        return DEFAULT_TABLE.with_overrides(self.reporting_places)

    @property
    def mqtt(self) -> MqttEndpoint:
        return MqttEndpoint.parse(self.mqtt_url)

    @property
    def is_production(self) -> bool:
        return self.environment is Environment.PRODUCTION
