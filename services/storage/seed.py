"""Loads the party, station, programme and gateway registry files into the database (``envmon db seed``).

Idempotent: parties, stations and gateways are upserted by their natural keys; each station's programme
(``programmes.yaml``, see ``services.storage.programmes``) is validated and replaces the stored one.
A gateway's stored password hash is replaced only when it no longer matches the development password.
Every station names its operating party and every gateway its party; a gateway may carry only its
party's stations, so the broker ACL generated from it keeps a partner's gateways to the partner's stations.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Connection, select
from sqlalchemy.dialects.postgresql import insert

from services.common.credentials import hash_password, verify_password
from services.standards.local_time import local_date
from services.standards.parameters import Kind
from services.storage.parties import PARTY_CODE, PartyRegistry, read_parties
from services.storage.programmes import Programmes, read_programmes, store_programmes
from services.storage.schema import AccountRole, ControlLevel, gateway_stations, gateways, parties, stations

REGISTRY_DIR = Path(__file__).parent / "registry"


STATION_CODE = r"^[A-Z0-9][A-Z0-9-]{1,63}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StationEntry(_Strict):
    code: str = Field(pattern=STATION_CODE)
    operator: str = Field(pattern=PARTY_CODE)
    monitors_section: str | None = Field(default=None, pattern=STATION_CODE)
    name: str
    control_level: ControlLevel
    city: str
    county: str | None = None
    river: str | None = None
    basin: str | None = None
    waterbody: Literal["river", "lake"] | None = None
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    target_class: int | None = Field(default=None, ge=1, le=5)
    upstream_area: str | None = None
    downstream_area: str | None = None
    eco_flow_min_m3s: Decimal | None = None
    facility_type: Literal["incineration", "food_waste", "recycling", "landfill", "industrial"] | None = None
    capacity_t_per_day: Decimal | None = None
    note: str | None = None
    commissioned_on: date | None = None  # ingest refuses readings dated before it


class StationRegistry(_Strict):
    illustrative: bool = False
    water: list[StationEntry] = []
    air: list[StationEntry] = []
    waste: list[StationEntry] = []


class GatewayStation(_Strict):
    code: str
    hj212_mn: str | None = Field(default=None, pattern=r"^[0-9A-F]{14,24}$")


class AccountEntry(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,63}$")
    name: str
    role: AccountRole = AccountRole.GATEWAY
    party: str | None = Field(default=None, pattern=PARTY_CODE)  # who runs a gateway; none for services
    password_hash: str | None = None
    dev_password: str | None = None
    hj212_dev_password: str | None = None
    accept_modbus_crc: bool = False
    stations: list[GatewayStation] = []


class GatewayRegistry(_Strict):
    gateways: list[AccountEntry] = []
    services: list[AccountEntry] = []


class SeedError(ValueError):
    pass


def station_kinds(registry: StationRegistry) -> dict[str, Kind]:
    return {entry.code: kind for kind in Kind for entry in getattr(registry, kind.value)}


def read_programmes_yaml(directory: Path = REGISTRY_DIR) -> Programmes:
    """The validated programmes of the registry in ``directory`` (raises ProgrammeError)."""
    station_registry, _ = read_registry_yaml(directory)
    return read_programmes(directory, station_kinds(station_registry))


def check_parties(
    party_registry: PartyRegistry, station_registry: StationRegistry, gateway_registry: GatewayRegistry
) -> None:
    """Every party named is known, partner stations monitor a known section, and a gateway carries only
    stations its party operates (raises SeedError)."""
    entries = {entry.code: entry for kind in Kind for entry in getattr(station_registry, kind.value)}
    for entry in entries.values():
        if party_registry.get(entry.operator) is None:
            raise SeedError(f"station {entry.code}: unknown operator {entry.operator!r} (not in parties.yaml)")
        section = entries.get(entry.monitors_section) if entry.monitors_section else None
        if entry.monitors_section and (section is None or section.monitors_section or section.code == entry.code):
            raise SeedError(f"station {entry.code}: monitors_section {entry.monitors_section!r} is not a section")
    for account in gateway_registry.gateways:
        if account.party is None or party_registry.get(account.party) is None:
            raise SeedError(f"gateway {account.id}: party {account.party!r} is not in parties.yaml")
        foreign = [s.code for s in account.stations if s.code in entries and entries[s.code].operator != account.party]
        if foreign:
            raise SeedError(
                f"gateway {account.id} ({account.party}) names stations another party operates: {', '.join(foreign)}"
            )
    for account in gateway_registry.services:
        if account.party is not None:
            raise SeedError(f"service account {account.id} belongs to no party; remove party")


def _load_yaml(path: Path) -> Any:
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def read_registry_yaml(directory: Path = REGISTRY_DIR) -> tuple[StationRegistry, GatewayRegistry]:
    """The seed registry as written in ``stations.yaml`` and ``gateways.yaml``, validated."""
    return (
        StationRegistry.model_validate(_load_yaml(directory / "stations.yaml")),
        GatewayRegistry.model_validate(_load_yaml(directory / "gateways.yaml")),
    )


def _development_hash(account: str, field: str, password: str, current: str | None, *, production: bool) -> str:
    """The hash of a development password; the stored one is kept while it still matches, so re-seeding
    changes nothing (and does not invalidate the services' verified-password caches)."""
    if production:
        raise SeedError(f"account {account}: {field} is refused in production; give password_hash")
    if current is not None and verify_password(password, current):
        return current
    return hash_password(password)


def _password_hash(entry: AccountEntry, current: str | None, *, production: bool) -> str:
    if entry.password_hash:
        return entry.password_hash
    if entry.dev_password is None:
        raise SeedError(f"account {entry.id} has neither password_hash nor dev_password")
    return _development_hash(entry.id, "dev_password", entry.dev_password, current, production=production)


def _hj212_password_hash(entry: AccountEntry, current: str | None, *, production: bool) -> str | None:
    if entry.hj212_dev_password is None:
        return None
    return _development_hash(entry.id, "hj212_dev_password", entry.hj212_dev_password, current, production=production)


def seed(
    connection: Connection,
    directory: Path = REGISTRY_DIR,
    *,
    production: bool = False,
    now: datetime | None = None,
) -> dict[str, int]:
    station_registry, gateway_registry = read_registry_yaml(directory)
    party_registry = read_parties(directory)
    check_parties(party_registry, station_registry, gateway_registry)
    programmes = read_programmes(directory, station_kinds(station_registry))
    party_rows = [party.model_dump() for party in party_registry.parties]
    statement = insert(parties).values(party_rows)
    connection.execute(
        statement.on_conflict_do_update(
            index_elements=[parties.c.code],
            set_={column: statement.excluded[column] for column in party_rows[0] if column != "code"},
        )
    )
    station_rows = [
        {**entry.model_dump(), "kind": kind, "illustrative": station_registry.illustrative}
        for kind in ("water", "air", "waste")
        for entry in getattr(station_registry, kind)
    ]
    if station_rows:
        statement = insert(stations).values(station_rows)
        connection.execute(
            statement.on_conflict_do_update(
                index_elements=[stations.c.code],
                set_={column: statement.excluded[column] for column in station_rows[0] if column != "code"},
            )
        )
    stored_programmes = store_programmes(connection, programmes, local_date(now or datetime.now(UTC)))
    known_stations = {row["code"] for row in station_rows} | set(connection.execute(select(stations.c.code)).scalars())
    existing = {
        row.id: row
        for row in connection.execute(select(gateways.c.id, gateways.c.password_hash, gateways.c.hj212_password_hash))
    }
    accounts = [*gateway_registry.gateways, *gateway_registry.services]
    for entry in accounts:
        unknown = [s.code for s in entry.stations if s.code not in known_stations]
        if unknown:
            raise SeedError(f"gateway {entry.id} names unknown stations: {', '.join(unknown)}")
        current = existing.get(entry.id)
        row = {
            "id": entry.id,
            "name": entry.name,
            "role": entry.role.value,
            "party": entry.party,
            "password_hash": _password_hash(entry, current.password_hash if current else None, production=production),
            "hj212_password_hash": _hj212_password_hash(
                entry, current.hj212_password_hash if current else None, production=production
            ),
            "accept_modbus_crc": entry.accept_modbus_crc,
        }
        statement = insert(gateways).values(row)
        connection.execute(
            statement.on_conflict_do_update(
                index_elements=[gateways.c.id],
                set_={column: statement.excluded[column] for column in row if column != "id"},
            )
        )
        connection.execute(gateway_stations.delete().where(gateway_stations.c.gateway_id == entry.id))
        if entry.stations:
            connection.execute(
                insert(gateway_stations).values(
                    [{"gateway_id": entry.id, "station_code": s.code, "hj212_mn": s.hj212_mn} for s in entry.stations]
                )
            )
    return {
        "parties": len(party_rows),
        "stations": len(station_rows),
        "programmes": stored_programmes,
        "accounts": len(accounts),
    }
