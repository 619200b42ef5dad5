"""How alert texts write figures: at reporting precision (services.standards.reporting), with units.

Concentrations go through the precision table of the deployment (``ENVMON_REPORTING_PLACES``), shares
are percentages to 0.1 %, tonnes to 0.1 t, AQI values are whole numbers already (HJ 633 rounds up).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from types import MappingProxyType

from services.standards import water
from services.standards.local_time import BEIJING_TIME
from services.standards.parameters import PARAMETERS
from services.standards.reporting import PrecisionTable, plain

# The symbols bulletins print for the items alerts name; other parameters go by their Chinese name.
SYMBOLS = MappingProxyType(
    {
        "ph": "pH",
        "do": "DO",
        "codmn": "CODMn",
        "cod": "COD",
        "bod5": "BOD5",
        "nh3n": "NH3-N",
        "tp": "TP",
        "tn": "TN",
        "pm25": "PM2.5",
        "pm10": "PM10",
        "so2": "SO2",
        "no2": "NO2",
        "co": "CO",
        "o3": "O3",
        "o3_8h": "O3-8h",
        "o3_1h_max": "O3-1h",
        "flow": "流量",
    }
)
# Daily air items stored under their own column names measure the parameter named here.
AIR_ITEM_PARAMETER = MappingProxyType({"o3_8h": "o3", "o3_1h_max": "o3"})
LIST_SEPARATOR = "，"


def symbol(code: str) -> str:
    return SYMBOLS.get(code) or (PARAMETERS[code].name_zh if code in PARAMETERS else code)


def figure(table: PrecisionTable, code: str, value: Decimal | Fraction, *, lake: bool = False) -> str:
    """``0.21 mg/L``: a measured value at reporting precision, with its unit."""
    parameter = AIR_ITEM_PARAMETER.get(code, code)
    unit = PARAMETERS[parameter].unit
    number = plain(table.concentration_value(parameter, value, lake=lake))
    return number if unit == "1" else f"{number} {unit}"


def concentration(table: PrecisionTable, code: str, value: Decimal | Fraction, *, lake: bool = False) -> str:
    """``TP 0.21 mg/L``: the item's symbol and its figure."""
    return f"{symbol(code)} {figure(table, code, value, lake=lake)}"


def percent(table: PrecisionTable, share: Decimal | Fraction) -> str:
    return f"{plain(table.percent_value(share))} %"


def tonnes(table: PrecisionTable, value: Decimal | Fraction) -> str:
    return f"{plain(table.tonnage_value(value))} t"


def water_class(value: int) -> str:
    return f"{water.class_label(value)}类"


def days(count: int | Decimal) -> str:
    return f"{count} 天"


def local_time(moment: datetime) -> str:
    return f"{moment.astimezone(BEIJING_TIME):%Y-%m-%d %H:%M}"


def every(interval: timedelta) -> str:
    """A reporting interval in words: 每日, 每小时, 每 4 小时, 每 15 分钟."""
    if interval == timedelta(days=1):
        return "每日"
    if interval == timedelta(hours=1):
        return "每小时"
    if not interval % timedelta(hours=1):
        return f"每 {interval // timedelta(hours=1)} 小时"
    return f"每 {interval // timedelta(minutes=1)} 分钟"


def listing(items: Iterable[str]) -> str:
    return LIST_SEPARATOR.join(items)
