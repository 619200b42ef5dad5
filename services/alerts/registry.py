"""What the computations need to know about stations, read once per cycle from the registry."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from sqlalchemy import Connection, select

from services.storage.schema import stations


@dataclass(frozen=True, slots=True)
class Section:
    code: str
    control_level: str
    target_class: int | None
    waterbody: Literal["river", "lake"]
    eco_flow_min: Decimal | None


@dataclass(frozen=True, slots=True)
class Facility:
    code: str
    facility_type: str | None
    capacity: Decimal | None


@dataclass(frozen=True, slots=True)
class Registry:
    city: str
    air_stations: tuple[str, ...]
    city_stations: tuple[str, ...]
    sections: tuple[Section, ...]
    facilities: tuple[Facility, ...]

    @property
    def section_codes(self) -> list[str]:
        return [s.code for s in self.sections]


def registry_from_database(
    connection: Connection, *, city: str, city_control_levels: tuple[str, ...], city_stations: tuple[str, ...] = ()
) -> Registry:
    """The registry as stored in the database (``stations``); the city's air stations are
    ``city_stations`` when given, else its stations of ``city_control_levels`` (unknown or non-air
    codes in ``city_stations`` raise ValueError)."""
    rows = connection.execute(select(stations).order_by(stations.c.code)).mappings().all()
    air = [r for r in rows if r["kind"] == "air"]
    unknown = sorted(set(city_stations) - {r["code"] for r in air})
    if unknown:
        raise ValueError(f"ENVMON_ALERTS_CITY_STATIONS names stations that are not air stations: {unknown}")
    return Registry(
        city=city,
        air_stations=tuple(r["code"] for r in air),
        city_stations=tuple(sorted(city_stations))
        if city_stations
        else tuple(r["code"] for r in air if r["city"] == city and r["control_level"] in city_control_levels),
        sections=tuple(
            Section(r["code"], r["control_level"], r["target_class"], r["waterbody"] or "river", r["eco_flow_min_m3s"])
            for r in rows
            if r["kind"] == "water" and r["monitors_section"] is None  # a partner's station is no section of its own
        ),
        facilities=tuple(
            Facility(r["code"], r["facility_type"], r["capacity_t_per_day"]) for r in rows if r["kind"] == "waste"
        ),
    )
