"""Station, gateway and HJ 212 MN lookups, cached from the registry tables.

:class:`RegistrySnapshot` is immutable and pure to query (decode uses it); :class:`RegistryCache`
reloads it periodically and, rate-limited, when a message names a station or MN it does not know.
A failed reload keeps the last good snapshot: a database outage must not turn valid data into rejects.

HJ 212 passwords are PBKDF2 hashes (deliberately slow): a (MN, PW, hash) check, successful or not,
is remembered across reloads, so each logger's password is derived once, not once per frame, and
new guesses for an MN wait ever longer after a failure (services.common.credentials). A changed
hash in the registry is checked afresh.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import structlog
from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError

from services.common.credentials import PasswordVerdict, VerifiedPasswords
from services.standards.local_time import day_start
from services.standards.parameters import Kind
from services.storage.hj212_devices import Hj212Device, load_hj212_devices
from services.storage.schema import gateway_stations, gateways, stations

# A flood of messages for an unknown station must not turn into a flood of registry queries.
MISS_RELOAD_MIN_SECONDS = 5.0

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class RegistrySnapshot:
    station_kinds: dict[str, Kind]
    bindings: frozenset[tuple[str, str]]  # (gateway id, station code) of enabled gateways
    mns: dict[str, Hj212Device]
    commissioned: dict[str, date] = field(default_factory=dict)  # stations.commissioned_on, where known
    # shared by the snapshots of one cache, so a verified password survives reloads
    verified_passwords: VerifiedPasswords = field(default_factory=VerifiedPasswords, compare=False)

    def password_verdict(self, mn: str, password: str) -> PasswordVerdict:
        device = self.mns.get(mn)
        if device is None or device.password_hash is None:
            return PasswordVerdict.MISMATCH
        return self.verified_passwords.verdict(mn, password, device.password_hash)

    def earliest(self, station: str, default: datetime) -> datetime:
        """The earliest reading time of ``station``: its commissioning day (Beijing time) where known."""
        commissioned = self.commissioned.get(station)
        return default if commissioned is None else day_start(commissioned)

    def may_report(self, gateway: str, station: str) -> bool:
        return (gateway, station) in self.bindings

    def accepts_modbus_crc(self, station: str) -> bool:
        return any(device.accept_modbus_crc for device in self.mns.values() if device.station == station)


EMPTY = RegistrySnapshot({}, frozenset(), {})


def load_snapshot(engine: Engine, verified_passwords: VerifiedPasswords | None = None) -> RegistrySnapshot:
    with engine.connect() as connection:
        rows = connection.execute(select(stations.c.code, stations.c.kind, stations.c.commissioned_on)).all()
        bindings = frozenset(
            connection.execute(
                select(gateway_stations.c.gateway_id, gateway_stations.c.station_code)
                .join(gateways, gateways.c.id == gateway_stations.c.gateway_id)
                .where(gateways.c.enabled)
            ).tuples()
        )
        devices = load_hj212_devices(connection)
    return RegistrySnapshot(
        {code: Kind(kind) for code, kind, _ in rows},
        bindings,
        devices,
        {code: commissioned for code, _, commissioned in rows if commissioned is not None},
        verified_passwords if verified_passwords is not None else VerifiedPasswords(),
    )


class RegistryCache:
    """The current snapshot; only the ingest pipeline thread calls :meth:`current` and :meth:`miss`."""

    def __init__(self, engine: Engine, refresh: timedelta) -> None:
        self._engine = engine
        self._refresh_seconds = refresh.total_seconds()
        self._snapshot = EMPTY
        self._loaded_at = float("-inf")
        self._verified_passwords = VerifiedPasswords()

    def current(self) -> RegistrySnapshot:
        if time.monotonic() - self._loaded_at >= self._refresh_seconds:
            self._reload()
        return self._snapshot

    def miss(self) -> RegistrySnapshot:
        """A lookup failed: reload if the snapshot is older than the miss rate limit."""
        if time.monotonic() - self._loaded_at >= MISS_RELOAD_MIN_SECONDS:
            self._reload()
        return self._snapshot

    def load(self) -> None:
        """Load the registry now; raises SQLAlchemyError if the database fails."""
        self._snapshot = load_snapshot(self._engine, self._verified_passwords)
        self._loaded_at = time.monotonic()

    def _reload(self) -> None:
        try:
            self.load()
        except SQLAlchemyError as error:
            # Keep the last good snapshot, and retry at the next refresh or miss, not at every message.
            self._loaded_at = time.monotonic()
            log.warning("registry reload failed", error=str(error).splitlines()[0])
