"""Who a logger is: MN → (gateway, station, PW hash, MODBUS-CRC allowance), from the registry tables.

PW hashes use Mosquitto's PBKDF2 format, deliberately slow, so a session verifies each (MN, PW) pair
once, off the event loop, and remembers the outcome for the life of the connection.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

import structlog
from sqlalchemy import Connection, Engine, select

from services.common.credentials import verify_password
from services.storage.schema import gateway_stations, gateways, stations

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Device:
    mn: str
    gateway: str
    station: str
    station_kind: str
    hj212_password_hash: str | None
    accept_modbus_crc: bool


def load_devices(connection: Connection) -> dict[str, Device]:
    rows = connection.execute(
        select(
            gateway_stations.c.hj212_mn,
            gateways.c.id,
            stations.c.code,
            stations.c.kind,
            gateways.c.hj212_password_hash,
            gateways.c.accept_modbus_crc,
        )
        .join(gateways, gateways.c.id == gateway_stations.c.gateway_id)
        .join(stations, stations.c.code == gateway_stations.c.station_code)
        .where(gateways.c.enabled, gateway_stations.c.hj212_mn.is_not(None))
    )
    return {mn: Device(mn, gw, code, kind, pw_hash, modbus) for mn, gw, code, kind, pw_hash, modbus in rows}


class DeviceRegistry:
    """The MN table, reloaded periodically and, rate-limited, when an unknown MN shows up."""

    def __init__(self, engine: Engine, *, unknown_reload_seconds: float) -> None:
        self._engine = engine
        self._unknown_reload_seconds = unknown_reload_seconds
        self._devices: Mapping[str, Device] = {}
        self._loaded_at = float("-inf")
        self._lock = asyncio.Lock()

    @property
    def devices(self) -> Mapping[str, Device]:
        return self._devices

    def _load(self) -> dict[str, Device]:
        with self._engine.connect() as connection:
            return load_devices(connection)

    async def reload(self) -> None:
        async with self._lock:
            self._devices = await asyncio.to_thread(self._load)
            self._loaded_at = time.monotonic()
        log.info("hj212 device registry loaded", devices=len(self._devices))

    async def lookup(self, mn: str) -> Device | None:
        device = self._devices.get(mn)
        if device is None and time.monotonic() - self._loaded_at >= self._unknown_reload_seconds:
            await self.reload()
            device = self._devices.get(mn)
        return device


class AuthFailure(StrEnum):
    UNKNOWN_MN = "hj212_unknown_mn"
    NO_PASSWORD = "hj212_no_password"  # the gateway has no HJ 212 PW configured: nobody can log in as it
    BAD_PASSWORD = "hj212_bad_password"


class SessionAuthenticator:
    """Per-connection PW check with a cache of (MN, PW) → verdict."""

    def __init__(self, registry: DeviceRegistry) -> None:
        self._registry = registry
        self._verdicts: dict[tuple[str, str, str], bool] = {}

    async def authenticate(self, mn: str, pw: str) -> tuple[Device | None, AuthFailure | None]:
        """The MN's device (when registered) and why it may not log in (None when it may)."""
        device = await self._registry.lookup(mn)
        if device is None:
            return None, AuthFailure.UNKNOWN_MN
        if device.hj212_password_hash is None:
            return device, AuthFailure.NO_PASSWORD
        # The hash is part of the key, so a password changed in the registry is checked afresh.
        key = (mn, pw, device.hj212_password_hash)
        verdict = self._verdicts.get(key)
        if verdict is None:
            verdict = await asyncio.to_thread(verify_password, pw, device.hj212_password_hash)
            self._verdicts[key] = verdict
        return device, None if verdict else AuthFailure.BAD_PASSWORD
