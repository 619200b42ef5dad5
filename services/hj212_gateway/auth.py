"""Who a logger is: MN → (gateway, station, PW hash, MODBUS-CRC allowance), from the registry tables.

PW hashes use Mosquitto's PBKDF2 format, deliberately slow, so a session verifies each (MN, PW) pair
off the event loop and remembers a success for the life of the connection.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from enum import StrEnum

import structlog
from sqlalchemy import Engine

from services.common.credentials import VerifiedPasswords
from services.storage.hj212_devices import Hj212Device, load_hj212_devices

log = structlog.get_logger(__name__)


class DeviceRegistry:
    """The MN table, reloaded periodically and, rate-limited, when an unknown MN shows up."""

    def __init__(self, engine: Engine, *, unknown_reload_seconds: float) -> None:
        self._engine = engine
        self._unknown_reload_seconds = unknown_reload_seconds
        self._devices: Mapping[str, Hj212Device] = {}
        self._loaded_at = float("-inf")
        self._lock = asyncio.Lock()

    @property
    def devices(self) -> Mapping[str, Hj212Device]:
        return self._devices

    def _load(self) -> dict[str, Hj212Device]:
        with self._engine.connect() as connection:
            return load_hj212_devices(connection)

    async def reload(self) -> None:
        async with self._lock:
            self._devices = await asyncio.to_thread(self._load)
            self._loaded_at = time.monotonic()
        log.info("hj212 device registry loaded", devices=len(self._devices))

    async def lookup(self, mn: str) -> Hj212Device | None:
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
    """Per-connection PW check that remembers the (MN, PW) pairs that verified."""

    def __init__(self, registry: DeviceRegistry) -> None:
        self._registry = registry
        self._verified = VerifiedPasswords()

    async def authenticate(self, mn: str, pw: str) -> tuple[Hj212Device | None, AuthFailure | None]:
        """The MN's device (when registered) and why it may not log in (None when it may)."""
        device = await self._registry.lookup(mn)
        if device is None:
            return None, AuthFailure.UNKNOWN_MN
        if device.password_hash is None:
            return device, AuthFailure.NO_PASSWORD
        verdict = await asyncio.to_thread(self._verified.matches, mn, pw, device.password_hash)
        return device, None if verdict else AuthFailure.BAD_PASSWORD
