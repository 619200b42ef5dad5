"""Who a logger is: MN → (gateway, station, PW hash, MODBUS-CRC allowance), from the registry tables.

PW hashes use Mosquitto's PBKDF2 format, deliberately slow, so PW checks run off the event loop and
the gateway remembers each (MN, peer address, PW) outcome (services.common.credentials): a logger
repeating a wrong PW costs one derivation, and after a failure new PWs from that MN and address
wait a growing backoff (``hj212_password_throttled``), other addresses unaffected.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from enum import StrEnum

import structlog
from sqlalchemy import Engine

from services.common.credentials import PasswordVerdict, VerifiedPasswords
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
        self.passwords = VerifiedPasswords()  # shared by all sessions: a reconnect does not reset it

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
    PASSWORD_THROTTLED = "hj212_password_throttled"  # not checked: a wrong PW came from there moments ago


class SessionAuthenticator:
    """PW checks for one connection, keyed by MN and the peer's address."""

    def __init__(self, registry: DeviceRegistry, peer_host: str) -> None:
        self._registry = registry
        self._peer_host = peer_host

    async def authenticate(self, mn: str, pw: str) -> tuple[Hj212Device | None, AuthFailure | None]:
        """The MN's device (when registered) and why it may not log in (None when it may)."""
        device = await self._registry.lookup(mn)
        if device is None:
            return None, AuthFailure.UNKNOWN_MN
        if device.password_hash is None:
            return device, AuthFailure.NO_PASSWORD
        passwords = self._registry.passwords
        verdict = await asyncio.to_thread(passwords.verdict, f"{mn}@{self._peer_host}", pw, device.password_hash)
        return device, VERDICT_FAILURES[verdict]


VERDICT_FAILURES = {
    PasswordVerdict.MATCH: None,
    PasswordVerdict.MISMATCH: AuthFailure.BAD_PASSWORD,
    PasswordVerdict.THROTTLED: AuthFailure.PASSWORD_THROTTLED,
}
