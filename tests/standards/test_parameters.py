"""The canonical vocabulary covers every code the issues name, with HJ 212 codes and ranges."""

from __future__ import annotations

from decimal import Decimal

from services.standards.parameters import BY_HJ212_CODE, PARAMETERS, Kind, parameters_of

WATER = [
    "ph",
    "do",
    "codmn",
    "cod",
    "bod5",
    "nh3n",
    "tp",
    "tn",
    "cu",
    "zn",
    "f",
    "se",
    "as",
    "hg",
    "cd",
    "cr6",
    "pb",
    "cn",
    "phenol",
    "petroleum",
    "las",
    "sulfide",
    "fecal_coliform",
    "temp",
    "conductivity",
    "turbidity",
    "flow",
]
AIR = ["pm25", "pm10", "so2", "no2", "co", "o3"]
WASTE = [
    "incinerated",
    "food_waste",
    "recycled",
    "landfilled",
    "industrial_generated",
    "industrial_utilized",
    "industrial_disposed",
]


def test_every_kind_has_exactly_its_codes() -> None:
    assert [p.code for p in parameters_of(Kind.WATER)] == WATER
    assert [p.code for p in parameters_of(Kind.AIR)] == AIR
    assert [p.code for p in parameters_of(Kind.WASTE)] == WASTE


def test_hj212_codes_map_back_uniquely() -> None:
    coded = [p for p in PARAMETERS.values() if p.hj212_code]
    assert len(BY_HJ212_CODE) == len(coded)
    assert BY_HJ212_CODE["w21003"].code == "nh3n" and BY_HJ212_CODE["a34004"].code == "pm25"


def test_physical_range_is_inclusive() -> None:
    ph = PARAMETERS["ph"]
    assert ph.in_physical_range(Decimal(0)) and ph.in_physical_range(Decimal(14))
    assert not ph.in_physical_range(Decimal("14.01")) and not ph.in_physical_range(Decimal("-0.01"))
