"""The SensorThings service's table: partner API keys, stored as SHA-256 only."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, DateTime, ForeignKey, String, Table, func

from services.storage.schema import metadata

api_keys = Table(
    "sensorthings_api_keys",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("party", String(32), ForeignKey("parties.code"), nullable=False),
    Column("key_sha256", String(64), nullable=False, unique=True),
    Column("enabled", Boolean, nullable=False, server_default="true"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
