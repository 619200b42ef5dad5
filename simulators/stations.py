"""What each simulated gateway knows about itself: its stations, credentials, programmes and HJ 212 identity.

Built from the seed registry files (no database needed), so a simulator can run anywhere the
registry ships. Each station reports what its programme (``programmes.yaml``, the same file
``envmon db seed`` loads) says, when it says. Broker passwords are the registry's development
passwords unless overridden.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

from services.standards.parameters import Kind
from services.storage.programmes import ProgrammePeriod, Programmes
from services.storage.seed import REGISTRY_DIR, AccountEntry, StationEntry, read_programmes_yaml, read_registry_yaml

DAILY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class StationSpec:
    code: str
    kind: Kind
    gateway: str
    target_class: int | None = None
    eco_flow_min_m3s: Decimal | None = None
    facility_type: str | None = None
    capacity_t_per_day: Decimal | None = None
    hj212_mn: str | None = None
    programme: tuple[ProgrammePeriod, ...] = ()
    monitors_section: str | None = None  # another party's station at this section

    @property
    def section(self) -> str:
        """The section whose water the station measures: two stations there see the same river."""
        return self.monitors_section or self.code

    @property
    def report_delay(self) -> timedelta:
        """Daily totals (waste) are stamped with the day's start and reported once the day is over."""
        return DAILY if self.kind is Kind.WASTE else timedelta(0)

    def schedule(self, start: datetime, end: datetime) -> dict[datetime, tuple[str, ...]]:
        """The station's report times in [start, end), each with the parameters its programme has due then."""
        return Programmes(self.programme).schedule(self.code, start, end)


@dataclass(frozen=True, slots=True)
class GatewaySpec:
    id: str
    password: str
    hj212_password: str | None
    accept_modbus_crc: bool
    stations: tuple[StationSpec, ...]


def _station(
    entry: StationEntry, kind: Kind, gateway: str, mn: str | None, programme: tuple[ProgrammePeriod, ...]
) -> StationSpec:
    return StationSpec(
        code=entry.code,
        kind=kind,
        gateway=gateway,
        target_class=entry.target_class,
        eco_flow_min_m3s=entry.eco_flow_min_m3s,
        facility_type=entry.facility_type,
        capacity_t_per_day=entry.capacity_t_per_day,
        hj212_mn=mn,
        programme=programme,
        monitors_section=entry.monitors_section,
    )


def _gateway(
    account: AccountEntry,
    entries: dict[str, tuple[StationEntry, Kind]],
    programmes: Programmes,
    passwords: dict[str, str],
) -> GatewaySpec:
    stations = tuple(
        _station(*entries[s.code], account.id, s.hj212_mn, programmes.of(s.code)) for s in account.stations
    )
    password = passwords.get(account.id, account.dev_password)
    if password is None:
        raise ValueError(f"gateway {account.id} has no development password; give one with --password")
    return GatewaySpec(account.id, password, account.hj212_dev_password, account.accept_modbus_crc, stations)


def load_gateways(directory: Path = REGISTRY_DIR, passwords: dict[str, str] | None = None) -> tuple[GatewaySpec, ...]:
    station_registry, gateway_registry = read_registry_yaml(directory)
    programmes = read_programmes_yaml(directory)
    entries = {e.code: (e, kind) for kind in Kind for e in getattr(station_registry, kind.value)}
    return tuple(_gateway(account, entries, programmes, passwords or {}) for account in gateway_registry.gateways)


def only_stations(gateways: tuple[GatewaySpec, ...], stations: Collection[str]) -> tuple[GatewaySpec, ...]:
    """The gateways serving any of ``stations``, each with only those of its stations."""
    kept = (replace(g, stations=tuple(s for s in g.stations if s.code in stations)) for g in gateways)
    return tuple(g for g in kept if g.stations)


def select_gateways(gateways: tuple[GatewaySpec, ...], wanted: list[str]) -> tuple[GatewaySpec, ...]:
    """Gateways by id, or those serving any of the wanted station codes; all when nothing is wanted."""
    if not wanted:
        return gateways
    chosen = tuple(g for g in gateways if g.id in wanted or any(s.code in wanted for s in g.stations))
    unknown = set(wanted) - {g.id for g in chosen} - {s.code for g in chosen for s in g.stations}
    if unknown:
        raise ValueError(f"unknown gateways or stations: {', '.join(sorted(unknown))}")
    return chosen
