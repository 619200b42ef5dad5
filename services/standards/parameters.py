"""The canonical parameter vocabulary: one entry per measured quantity, used by every service.

Codes are the keys of readings, rules and APIs. HJ 212 codes follow HJ 212-2017 Appendix B (as
transcribed in public code); river flow has no code there, so ``flow`` uses the
discharge-flow code ``w00000`` until the provincial platform says otherwise (an open
question recorded in docs/standards.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum


class Kind(StrEnum):
    """What a station measures; also the last segment of its JSON topic."""

    WATER = "water"
    AIR = "air"
    WASTE = "waste"


@dataclass(frozen=True, slots=True)
class Parameter:
    code: str
    name_zh: str
    name_en: str
    unit: str
    kind: Kind
    hj212_code: str | None
    physical_min: Decimal
    physical_max: Decimal

    def in_physical_range(self, value: Decimal) -> bool:
        return self.physical_min <= value <= self.physical_max


def _p(code: str, zh: str, en: str, unit: str, kind: Kind, hj212: str | None, low: str, high: str) -> Parameter:
    return Parameter(code, zh, en, unit, kind, hj212, Decimal(low), Decimal(high))


W, A, X = Kind.WATER, Kind.AIR, Kind.WASTE

PARAMETERS: dict[str, Parameter] = {
    p.code: p
    for p in (
        # Water: the GB 3838-2002 Table 1 items, then the station's physical measurements.
        _p("ph", "pH值", "pH", "1", W, "w01001", "0", "14"),
        _p("do", "溶解氧", "dissolved oxygen", "mg/L", W, "w01009", "0", "25"),
        _p("codmn", "高锰酸盐指数", "permanganate index", "mg/L", W, "w01019", "0", "200"),
        _p("cod", "化学需氧量", "chemical oxygen demand", "mg/L", W, "w01018", "0", "5000"),
        _p("bod5", "五日生化需氧量", "five-day biochemical oxygen demand", "mg/L", W, "w01017", "0", "2000"),
        _p("nh3n", "氨氮", "ammonia nitrogen", "mg/L", W, "w21003", "0", "500"),
        _p("tp", "总磷", "total phosphorus", "mg/L", W, "w21011", "0", "100"),
        _p("tn", "总氮", "total nitrogen", "mg/L", W, "w21001", "0", "500"),
        _p("cu", "铜", "copper", "mg/L", W, "w20122", "0", "100"),
        _p("zn", "锌", "zinc", "mg/L", W, "w20123", "0", "100"),
        _p("f", "氟化物", "fluoride", "mg/L", W, "w21017", "0", "100"),
        _p("se", "硒", "selenium", "mg/L", W, "w20128", "0", "10"),
        _p("as", "砷", "arsenic", "mg/L", W, "w20119", "0", "10"),
        _p("hg", "汞", "mercury", "mg/L", W, "w20111", "0", "1"),
        _p("cd", "镉", "cadmium", "mg/L", W, "w20115", "0", "10"),
        _p("cr6", "六价铬", "hexavalent chromium", "mg/L", W, "w20117", "0", "50"),
        _p("pb", "铅", "lead", "mg/L", W, "w20120", "0", "50"),
        _p("cn", "氰化物", "cyanide", "mg/L", W, "w21016", "0", "50"),
        _p("phenol", "挥发酚", "volatile phenol", "mg/L", W, "w23002", "0", "100"),
        _p("petroleum", "石油类", "petroleum", "mg/L", W, "w22001", "0", "1000"),
        _p("las", "阴离子表面活性剂", "anionic surfactant (LAS)", "mg/L", W, "w19002", "0", "100"),
        _p("sulfide", "硫化物", "sulfide", "mg/L", W, "w21019", "0", "100"),
        _p("fecal_coliform", "粪大肠菌群", "fecal coliform", "个/L", W, "w02003", "0", "1000000000"),
        _p("temp", "水温", "water temperature", "℃", W, "w01010", "-5", "45"),
        _p("conductivity", "电导率", "conductivity", "µS/cm", W, "w01014", "0", "100000"),
        _p("turbidity", "浊度", "turbidity", "NTU", W, "w01003", "0", "10000"),
        _p("flow", "流量", "river flow", "m³/s", W, "w00000", "0", "100000"),
        # Air: ambient concentrations at reference state; CO in mg/m³, the rest in µg/m³.
        _p("pm25", "细颗粒物", "PM2.5", "µg/m³", A, "a34004", "0", "2000"),
        _p("pm10", "可吸入颗粒物", "PM10", "µg/m³", A, "a34002", "0", "3000"),
        _p("so2", "二氧化硫", "sulphur dioxide", "µg/m³", A, "a21026", "0", "5000"),
        _p("no2", "二氧化氮", "nitrogen dioxide", "µg/m³", A, "a21004", "0", "3000"),
        _p("co", "一氧化碳", "carbon monoxide", "mg/m³", A, "a21005", "0", "200"),
        _p("o3", "臭氧", "ozone (1-hour)", "µg/m³", A, "a05024", "0", "2000"),
        # Waste: daily tonnes by route, per facility.
        _p("incinerated", "焚烧处理量", "household waste incinerated", "t", X, None, "0", "100000"),
        _p("food_waste", "厨余垃圾处理量", "food waste treated", "t", X, None, "0", "100000"),
        _p("recycled", "可回收物利用量", "recyclables recovered", "t", X, None, "0", "100000"),
        _p("landfilled", "填埋量", "household waste landfilled", "t", X, None, "0", "100000"),
        _p(
            "industrial_generated",
            "一般工业固废产生量",
            "industrial solid waste generated",
            "t",
            X,
            None,
            "0",
            "1000000",
        ),
        _p(
            "industrial_utilized",
            "一般工业固废综合利用量",
            "industrial solid waste utilized",
            "t",
            X,
            None,
            "0",
            "1000000",
        ),
        _p(
            "industrial_disposed", "一般工业固废处置量", "industrial solid waste disposed", "t", X, None, "0", "1000000"
        ),
    )
}

BY_HJ212_CODE: dict[str, Parameter] = {p.hj212_code: p for p in PARAMETERS.values() if p.hj212_code}


def parameters_of(kind: Kind) -> tuple[Parameter, ...]:
    return tuple(p for p in PARAMETERS.values() if p.kind is kind)
