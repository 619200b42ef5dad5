"""What each simulated gateway knows about itself: its stations, credentials, cadence and HJ 212 identity.

Built from the seed registry files (no database needed), so a simulator can run anywhere the
registry ships. Broker passwords are the registry's development passwords unless overridden.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from services.standards.parameters import Kind
from services.storage.seed import REGISTRY_DIR, AccountEntry, StationEntry, read_registry_yaml

HOURLY = timedelta(hours=1)
FOUR_HOURLY = timedelta(hours=4)
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
    cadence: timedelta = HOURLY

    @property
    def report_delay(self) -> timedelta:
        """Daily totals (waste) are stamped with the day's start and reported once the day is over."""
        return self.cadence if self.kind is Kind.WASTE else timedelta(0)


@dataclass(frozen=True, slots=True)
class GatewaySpec:
    id: str
    password: str
    hj212_password: str | None
    accept_modbus_crc: bool
    stations: tuple[StationSpec, ...]


def cadence_of(entry: StationEntry, kind: Kind) -> timedelta:
    """National water sections report hourly, the others every 4 h; air hourly; waste daily."""
    if kind is Kind.WASTE:
        return DAILY
    if kind is Kind.WATER and entry.control_level != "national":
        return FOUR_HOURLY
    return HOURLY


def _station(entry: StationEntry, kind: Kind, gateway: str, mn: str | None) -> StationSpec:
    return StationSpec(
        code=entry.code,
        kind=kind,
        gateway=gateway,
        target_class=entry.target_class,
        eco_flow_min_m3s=entry.eco_flow_min_m3s,
        facility_type=entry.facility_type,
        capacity_t_per_day=entry.capacity_t_per_day,
        hj212_mn=mn,
        cadence=cadence_of(entry, kind),
    )


def _gateway(
    account: AccountEntry, entries: dict[str, tuple[StationEntry, Kind]], passwords: dict[str, str]
) -> GatewaySpec:
    stations = tuple(_station(*entries[s.code], account.id, s.hj212_mn) for s in account.stations)
    password = passwords.get(account.id, account.dev_password)
    if password is None:
        raise ValueError(f"gateway {account.id} has no development password; give one with --password")
    return GatewaySpec(account.id, password, account.hj212_dev_password, account.accept_modbus_crc, stations)


def load_gateways(directory: Path = REGISTRY_DIR, passwords: dict[str, str] | None = None) -> tuple[GatewaySpec, ...]:
    station_registry, gateway_registry = read_registry_yaml(directory)
    entries = {e.code: (e, kind) for kind in Kind for e in getattr(station_registry, kind.value)}
    return tuple(_gateway(account, entries, passwords or {}) for account in gateway_registry.gateways)


def select_gateways(gateways: tuple[GatewaySpec, ...], wanted: list[str]) -> tuple[GatewaySpec, ...]:
    """Gateways by id, or those serving any of the wanted station codes; all when nothing is wanted."""
    if not wanted:
        return gateways
    chosen = tuple(g for g in gateways if g.id in wanted or any(s.code in wanted for s in g.stations))
    unknown = set(wanted) - {g.id for g in chosen} - {s.code for g in chosen for s in g.stations}
    if unknown:
        raise ValueError(f"unknown gateways or stations: {', '.join(sorted(unknown))}")
    return chosen
