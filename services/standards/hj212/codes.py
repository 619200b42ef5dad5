"""HJ 212 code tables: system (ST) and command (CN) codes, reply codes, data flags, Flag bits and CRC variants."""

from __future__ import annotations

from collections.abc import Mapping
from enum import IntEnum, StrEnum
from types import MappingProxyType


class CrcVariant(StrEnum):
    STANDARD = "standard"
    MODBUS = "modbus"


class SystemCode(IntEnum):
    """ST codes (HJ 212-2017 table; 44/45 are HJ 212—2025 [?])."""

    SURFACE_WATER = 21
    AIR_QUALITY = 22
    ACOUSTIC = 23
    GROUNDWATER = 24
    SOIL = 25
    SEAWATER = 26
    VOCS = 27
    AIR_POLLUTION_SOURCE = 31
    SURFACE_WATER_POLLUTION_SOURCE = 32
    GROUNDWATER_POLLUTION_SOURCE = 33
    MARINE_POLLUTION_SOURCE = 34
    SOIL_POLLUTION_SOURCE = 35
    NOISE_POLLUTION_SOURCE = 36
    VIBRATION_POLLUTION_SOURCE = 37
    RADIOACTIVE_POLLUTION_SOURCE = 38
    CONSTRUCTION_DUST = 39
    ELECTROMAGNETIC_POLLUTION_SOURCE = 41
    POWER_USE = 44
    PRODUCTION_CONDITIONS = 45
    FLUE_GAS_PROCESS = 51
    WASTEWATER_PROCESS = 52
    SYSTEM = 91


class Command(IntEnum):
    """CN codes used by the platform, the gateway and the simulators."""

    GET_TIME = 1011
    SET_TIME = 1012
    GET_REALTIME_INTERVAL = 1061
    SET_REALTIME_INTERVAL = 1062
    GET_MINUTE_INTERVAL = 1063
    SET_MINUTE_INTERVAL = 1064
    REALTIME_DATA = 2011  # device upload, and the platform's "start real-time data"
    STOP_REALTIME_DATA = 2012
    EQUIPMENT_STATUS = 2021
    DAILY_DATA = 2031
    RUNNING_TIME_DAILY = 2041
    MINUTE_DATA = 2051
    HOURLY_DATA = 2061
    LOGGER_START_TIME = 2081
    CALIBRATION = 3011
    OVER_LIMIT_SAMPLE = 3015
    FIELD_UNIT_INFO = 3020
    REQUEST_REPLY = 9011
    EXECUTION_RESULT = 9012
    NOTIFICATION_REPLY = 9013
    DATA_REPLY = 9014
    HEARTBEAT = 9015  # HJ 212—2025 [?]


DATA_COMMANDS = frozenset(
    {
        Command.REALTIME_DATA,
        Command.EQUIPMENT_STATUS,
        Command.DAILY_DATA,
        Command.RUNNING_TIME_DAILY,
        Command.MINUTE_DATA,
        Command.HOURLY_DATA,
        Command.LOGGER_START_TIME,
    }
)
HISTORY_COMMANDS = frozenset({Command.MINUTE_DATA, Command.HOURLY_DATA, Command.DAILY_DATA})


class QnRtn(IntEnum):
    """Request reply codes (CN 9011)."""

    READY = 1
    REJECTED = 2
    PW_ERROR = 3
    MN_ERROR = 4
    ST_ERROR = 5
    FLAG_ERROR = 6
    QN_ERROR = 7
    CN_ERROR = 8
    CRC_ERROR = 9
    UNKNOWN_ERROR = 100


class ExeRtn(IntEnum):
    """Execution result codes (CN 9012)."""

    SUCCESS = 1
    FAILED_UNKNOWN_REASON = 2
    BAD_CONDITION = 3
    TIMEOUT = 4
    BUSY = 5
    SYSTEM_FAULT = 6
    NO_DATA = 100


DATA_FLAGS: Mapping[str, str] = MappingProxyType(
    {
        "N": "正常 (normal)",
        "F": "停运 (instrument stopped)",
        "M": "维护 (maintenance)",
        "S": "手工输入设定值 (manually entered set value)",
        "D": "故障 (fault)",
        "C": "校准 (calibration)",
        "T": "超测上限 (over the upper measuring limit)",
        "B": "通讯异常 (instrument-logger communication failure)",
    }
)
NUMERIC_FIELDS = frozenset({"Rtd", "Min", "Avg", "Max", "Cou", "ZsRtd", "ZsMin", "ZsAvg", "ZsMax"})

FLAG_REPLY = 0b01  # bit A
FLAG_PACKETS = 0b10  # bit D
