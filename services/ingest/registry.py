"""Station, gateway and HJ 212 MN lookups, cached from the registry tables.

:class:`RegistrySnapshot` is immutable and pure to query (decode uses it); :class:`RegistryCache`
reloads it periodically and, rate-limited, when a message names a station or MN it does not know.
A failed reload keeps the last good snapshot: a database outage must not turn valid data into rejects.

HJ 212 passwords are PBKDF2 hashes (deliberately slow): a successful (MN, PW, hash) check is
remembered across reloads, so each logger's password is derived once, not once per frame.
Failures are not remembered, and a changed hash in the registry is checked afresh.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import timedelta

import structlog
from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError

from services.common.credentials import verify_password
from services.standards.parameters import Kind
from services.storage.schema import gateway_stations, gateways, stations

# A flood of messages for an unknown station must not turn into a flood of registry queries.
MISS_RELOAD_MIN_SECONDS = 5.0

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class MnBinding:
    station: str
    gateway: str
    accept_modbus_crc: bool
    password_hash: str | None = None  # gateways.hj212_password_hash


@dataclass(frozen=True, slots=True)
class RegistrySnapshot:
    station_kinds: dict[str, Kind]
    bindings: frozenset[tuple[str, str]]  # (gateway id, station code) of enabled gateways
    mns: dict[str, MnBinding]
    # (MN, PW, hash) triples that verified; shared by the snapshots of one cache
    verified_passwords: set[tuple[str, str, str]] = field(default_factory=set, compare=False)

    def password_matches(self, mn: str, password: str) -> bool:
        binding = self.mns.get(mn)
        if binding is None or binding.password_hash is None:
            return False
        key = (mn, password, binding.password_hash)
        if key in self.verified_passwords:
            return True
        if verify_password(password, binding.password_hash):
            self.verified_passwords.add(key)
            return True
        return False

    def may_report(self, gateway: str, station: str) -> bool:
        return (gateway, station) in self.bindings

    def accepts_modbus_crc(self, station: str) -> bool:
        return any(binding.accept_modbus_crc for binding in self.mns.values() if binding.station == station)


EMPTY = RegistrySnapshot({}, frozenset(), {})


def load_snapshot(engine: Engine, verified_passwords: set[tuple[str, str, str]] | None = None) -> RegistrySnapshot:
    with engine.connect() as connection:
        kinds = {code: Kind(kind) for code, kind in connection.execute(select(stations.c.code, stations.c.kind))}
        rows = connection.execute(
            select(gateway_stations.c.gateway_id, gateway_stations.c.station_code, gateway_stations.c.hj212_mn,
                   gateways.c.accept_modbus_crc, gateways.c.hj212_password_hash)
            .join(gateways, gateways.c.id == gateway_stations.c.gateway_id)
            .where(gateways.c.enabled)
        ).all()
    return RegistrySnapshot(
        station_kinds=kinds,
        bindings=frozenset((gateway, station) for gateway, station, _, _, _ in rows),
        mns={mn: MnBinding(station, gateway, modbus, password_hash)
             for gateway, station, mn, modbus, password_hash in rows if mn},
        verified_passwords=verified_passwords if verified_passwords is not None else set(),
    )


class RegistryCache:
    """The current snapshot; only the ingest pipeline thread calls :meth:`current` and :meth:`miss`."""

    def __init__(self, engine: Engine, refresh: timedelta) -> None:
        self._engine = engine
        self._refresh_seconds = refresh.total_seconds()
        self._snapshot = EMPTY
        self._loaded_at = float("-inf")
        self._verified_passwords: set[tuple[str, str, str]] = set()

    @property
    def loaded(self) -> bool:
        return self._snapshot is not EMPTY

    def current(self) -> RegistrySnapshot:
        if time.monotonic() - self._loaded_at >= self._refresh_seconds:
            self._reload()
        return self._snapshot

    def miss(self) -> RegistrySnapshot:
        """A lookup failed: reload if the snapshot is older than the miss rate limit."""
        if time.monotonic() - self._loaded_at >= MISS_RELOAD_MIN_SECONDS:
            self._reload()
        return self._snapshot

    def _reload(self) -> None:
        try:
            self._snapshot = load_snapshot(self._engine, self._verified_passwords)
            self._loaded_at = time.monotonic()
        except SQLAlchemyError as error:
            # Retried at the next message; keep the last good snapshot meanwhile.
            log.warning("registry reload failed", error=str(error).splitlines()[0])
