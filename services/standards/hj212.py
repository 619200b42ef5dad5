"""HJ 212 frame codec: HJ 212-2017 (and HJ 212—2025 frames), pure and exact.

Frame layout (HJ 212-2017 §6): ``##`` + 4-digit decimal length of the data segment + data segment +
4 hex digits of CRC over the data segment only + ``\\r\\n``. The data segment is
``QN=…;ST=..;CN=....;PW=…;MN=…;Flag=.;[PNUM=..;PNO=..;]CP=&&…&&``.

Sources (``../shared/reference/standards.md`` §5): field meanings, ST/CN codes, data flags and the CRC
algorithm come from HJ 212-2017 as implemented in public code and checked against the standard's own
example (CRC 1C80). QnRtn/ExeRtn codes are the 2017 tables 7/8 as transcribed in public code. The
HJ 212—2025 points (Flag version bits 000010, length counted in UTF-8 bytes, CN 9015 heartbeat,
ST 44/45) are secondary and unverified [?]; the 2025 CRC is assumed unchanged [?]; SM4 encryption of
CP is not handled here (an encrypted CP fails as ``bad_field``).

Decisions:

- The length field counts bytes of the data segment; for 2025 frames that is the UTF-8 byte count.
  2005/2017 data segments must be ASCII (reason ``encoding``) and at most 1024 bytes; 2025 frames may
  use the whole 4-digit range [?] (reason ``too_long``).
- The trailing ``\\r\\n`` is required by :func:`parse`; :class:`FrameReader` delimits frames by their
  length field and reports a frame whose ``\\r\\n`` is not where the length says as ``length``.
- Required header fields: ST, CN, PW, MN, Flag, CP. QN is optional (HJ/T 212-2005 uploads omit it).
  PW is required because every 2017 reply example carries it and it authenticates the device.
  PNUM and PNO are required exactly when Flag bit D is set. Header fields may come in any order;
  unknown header fields are rejected so that ``build(parse(x))`` loses nothing.
- HJ/T 212-2005 frames are accepted when they carry a Flag (version bits 0); frames without Flag fail.
- QN must be 17 digits (YYYYMMDDhhmmsszzz) but is not checked as a calendar date; MN is 1–24 ASCII
  letters or digits (24 hex in 2017/2025, 14 in 2005); PW is 1–6 ASCII letters or digits.
- CP items are split on both ``;`` and ``,``: a key ``code-Field`` goes to :attr:`Frame.values`,
  any other key to :attr:`Frame.extra` (DataTime goes to :attr:`Frame.data_time`). :func:`build`
  joins the fields of one factor with ``,`` and everything else with ``;``.
- DataTime is Asia/Shanghai local time; it is not established whether hourly/daily records stamp the
  period start [?]. The platform starts real-time upload with CN 2011 and stops it with CN 2012; the
  device uploads real-time data with CN 2011 as well.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from enum import IntEnum, StrEnum
from types import MappingProxyType
from typing import TypeVar
from zoneinfo import ZoneInfo

from services.standards.numbers import Number, to_decimal

SHANGHAI = ZoneInfo("Asia/Shanghai")
_T = TypeVar("_T")

# Data segment limits by Flag version: HJ/T 212-2005 and HJ 212-2017 say 1024; 2025 is unknown [?],
# so only the 4-digit length field bounds it.
MAX_DATA_LENGTH: Mapping[int, int] = MappingProxyType({0: 1024, 1: 1024, 2: 9999})
_ENVELOPE = len(b"##0000") + len(b"0000\r\n")


class FrameErrorReason(StrEnum):
    FRAMING = "framing"
    LENGTH = "length"
    CRC = "crc"
    TOO_LONG = "too_long"
    MISSING_FIELD = "missing_field"
    BAD_FIELD = "bad_field"
    BAD_DATATIME = "bad_datatime"
    BAD_NUMBER = "bad_number"
    BAD_FLAG = "bad_flag"
    ENCODING = "encoding"


class FrameError(ValueError):
    """Any malformed frame; ``reason`` is a stable machine code, the message says what is wrong."""

    def __init__(self, reason: FrameErrorReason, message: str) -> None:
        super().__init__(message)
        self.reason = reason


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
_VERSION_SHIFT = 2

_QN = re.compile(r"[0-9]{17}")
_ALNUM = re.compile(r"[0-9A-Za-z]+")
_FIELD = re.compile(r"[A-Za-z]+")
_KEY = re.compile(r"[A-Za-z][0-9A-Za-z]*")
_NUMBER = re.compile(r"-?(?:[0-9]+\.?[0-9]*|\.[0-9]+)")
_DATATIME = re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})([0-9]{2})([0-9]{2})([0-9]{2})")
_HEX4 = re.compile(rb"[0-9A-Fa-f]{4}")
_SEPARATORS = frozenset(";,=&\r\n")
_HEADER_DIGITS: Mapping[str, tuple[int, int, FrameErrorReason]] = MappingProxyType(
    {
        "ST": (2, 2, FrameErrorReason.BAD_FIELD),
        "CN": (4, 4, FrameErrorReason.BAD_FIELD),
        "Flag": (1, 3, FrameErrorReason.BAD_FLAG),
        "PNUM": (1, 4, FrameErrorReason.BAD_FIELD),
        "PNO": (1, 4, FrameErrorReason.BAD_FIELD),
    }
)
_HEADER_FIELDS = ("QN", "ST", "CN", "PW", "MN", "Flag", "PNUM", "PNO")
_REQUIRED_FIELDS = ("ST", "CN", "PW", "MN", "Flag")

FrameValues = dict[str, dict[str, Decimal | str]]


def _text_ok(value: str) -> bool:
    return bool(value) and value.isprintable() and not _SEPARATORS.intersection(value)


def _check_values(values: Mapping[str, Mapping[str, Decimal | str]]) -> None:
    for code, fields in values.items():
        if not _ALNUM.fullmatch(code) or not fields:
            raise FrameError(FrameErrorReason.BAD_FIELD, f"bad factor code {code!r}, or a factor without fields")
        for name, value in fields.items():
            where = f"{code}-{name}"
            if not _FIELD.fullmatch(name):
                raise FrameError(FrameErrorReason.BAD_FIELD, f"bad field name {where!r}")
            if name in NUMERIC_FIELDS:
                if not isinstance(value, Decimal) or not value.is_finite():
                    raise FrameError(FrameErrorReason.BAD_NUMBER, f"{where} is not a finite number: {value!r}")
            elif not isinstance(value, str) or not _text_ok(value):
                raise FrameError(FrameErrorReason.BAD_FIELD, f"{where} is not a plain text value: {value!r}")
            elif name == "Flag" and value not in DATA_FLAGS:
                raise FrameError(FrameErrorReason.BAD_FLAG, f"{where}={value!r} is not one of {''.join(DATA_FLAGS)}")


@dataclass(frozen=True, kw_only=True)
class Frame:
    """One HJ 212 message. Construction validates it, raising :class:`FrameError`.

    ``crc_variant`` records which CRC a parsed frame carried; it takes no part in equality, so
    ``parse(build(f)) == f`` whatever variant ``build`` used.
    """

    qn: str | None = None
    st: int
    cn: int
    pw: str
    mn: str
    flag: int
    pnum: int | None = None
    pno: int | None = None
    data_time: datetime | None = None
    values: FrameValues = field(default_factory=dict)
    extra: dict[str, str] = field(default_factory=dict)
    crc_variant: CrcVariant = field(default=CrcVariant.STANDARD, compare=False)

    def __post_init__(self) -> None:
        if self.qn is not None and not _QN.fullmatch(self.qn):
            raise FrameError(FrameErrorReason.BAD_FIELD, f"QN must be 17 digits YYYYMMDDhhmmsszzz, got {self.qn!r}")
        if not 0 <= self.st <= 99:
            raise FrameError(FrameErrorReason.BAD_FIELD, f"ST must be 2 digits, got {self.st!r}")
        if not 0 <= self.cn <= 9999:
            raise FrameError(FrameErrorReason.BAD_FIELD, f"CN must be 4 digits, got {self.cn!r}")
        for name, value, longest in (("PW", self.pw, 6), ("MN", self.mn, 24)):
            if not (_ALNUM.fullmatch(value) and len(value) <= longest):
                raise FrameError(FrameErrorReason.BAD_FIELD, f"{name} must be 1-{longest} letters or digits: {value!r}")
        if not 0 <= self.flag <= 255 or self.version not in MAX_DATA_LENGTH:
            raise FrameError(FrameErrorReason.BAD_FLAG, f"Flag {self.flag!r} is not a known version (0, 1, 2)")
        self._check_packets()
        if self.data_time is not None and (self.data_time.tzinfo is None or self.data_time.microsecond):
            raise FrameError(
                FrameErrorReason.BAD_DATATIME, f"DataTime must be aware, whole seconds: {self.data_time!r}"
            )
        _check_values(self.values)
        for key, text in self.extra.items():
            if not _KEY.fullmatch(key) or key == "DataTime" or not _text_ok(text):
                raise FrameError(FrameErrorReason.BAD_FIELD, f"bad CP item {key!r}={text!r}")

    def _check_packets(self) -> None:
        if not self.has_packets:
            if self.pnum is not None or self.pno is not None:
                raise FrameError(FrameErrorReason.BAD_FIELD, "PNUM/PNO present but Flag bit D is clear")
            return
        if self.pnum is None or self.pno is None:
            raise FrameError(FrameErrorReason.MISSING_FIELD, "Flag bit D is set but PNUM or PNO is missing")
        if not 1 <= self.pno <= self.pnum <= 9999:
            raise FrameError(FrameErrorReason.BAD_FIELD, f"need 1 <= PNO <= PNUM <= 9999, got {self.pno}/{self.pnum}")

    @property
    def version(self) -> int:
        """Flag bits V5..V0: 0 HJ/T 212-2005, 1 HJ 212-2017, 2 HJ 212—2025."""
        return self.flag >> _VERSION_SHIFT

    @property
    def needs_reply(self) -> bool:
        return bool(self.flag & FLAG_REPLY)

    @property
    def has_packets(self) -> bool:
        return bool(self.flag & FLAG_PACKETS)


def make_flag(*, version: int, needs_reply: bool, has_packets: bool = False) -> int:
    return version << _VERSION_SHIFT | (FLAG_PACKETS if has_packets else 0) | (FLAG_REPLY if needs_reply else 0)


# CRC: both variants run the reflected polynomial 0xA001 over 8 bits; this table holds those 8 rounds.
def _rounds(value: int) -> int:
    for _ in range(8):
        value = (value >> 1) ^ 0xA001 if value & 1 else value >> 1
    return value


_CRC_TABLE = tuple(_rounds(i) for i in range(256))


def crc16(data: bytes) -> int:
    """The HJ 212 appendix CRC: register shifted right by 8, then XOR the byte, then 8 rounds.

    After the shift the register holds only 8 bits, so the 8 rounds are one table lookup.
    """
    crc = 0xFFFF
    for byte in data:
        crc = _CRC_TABLE[(crc >> 8) ^ byte]
    return crc


def crc16_modbus(data: bytes) -> int:
    """CRC-16/MODBUS, which some devices send instead (0x0759 for the standard's example)."""
    crc = 0xFFFF
    for byte in data:
        crc = (crc >> 8) ^ _CRC_TABLE[(crc ^ byte) & 0xFF]
    return crc


_CRC_FUNCTIONS = {CrcVariant.STANDARD: crc16, CrcVariant.MODBUS: crc16_modbus}


def _cp_text(frame: Frame) -> str:
    items = [] if frame.data_time is None else [f"DataTime={format_time(frame.data_time)}"]
    items += [f"{key}={text}" for key, text in frame.extra.items()]
    items += [
        ",".join(f"{code}-{name}={_format_value(value)}" for name, value in fields.items())
        for code, fields in frame.values.items()
    ]
    return ";".join(items)


def _format_value(value: Decimal | str) -> str:
    # Fixed-point so that exponents (1E+2) never reach the wire.
    return format(value, "f") if isinstance(value, Decimal) else value


def build(frame: Frame, *, crc_variant: CrcVariant = CrcVariant.STANDARD) -> bytes:
    """Serialise a frame; raises :class:`FrameError` (``encoding``/``too_long``) if it cannot be sent."""
    header = {
        "QN": frame.qn,
        "ST": f"{frame.st:02d}",
        "CN": f"{frame.cn:04d}",
        "PW": frame.pw,
        "MN": frame.mn,
        "Flag": str(frame.flag),
        "PNUM": None if frame.pnum is None else str(frame.pnum),
        "PNO": None if frame.pno is None else str(frame.pno),
    }
    text = "".join(f"{k}={v};" for k, v in header.items() if v is not None) + f"CP=&&{_cp_text(frame)}&&"
    data = text.encode("utf-8")
    _check_size_and_encoding(data, frame.version)
    crc = _CRC_FUNCTIONS[crc_variant](data)
    return b"##%04d%s%04X\r\n" % (len(data), data, crc)


def _check_size_and_encoding(data: bytes, version: int) -> None:
    if version < 2 and not data.isascii():
        raise FrameError(FrameErrorReason.ENCODING, f"version {version} data segment must be ASCII")
    if len(data) > MAX_DATA_LENGTH[version]:
        raise FrameError(
            FrameErrorReason.TOO_LONG,
            f"data segment of {len(data)} bytes exceeds {MAX_DATA_LENGTH[version]} for version {version}",
        )


def _split_pair(item: str) -> tuple[str, str]:
    key, sep, value = item.partition("=")
    if not sep:
        raise FrameError(FrameErrorReason.BAD_FIELD, f"item without '=': {item[:40]!r}")
    return key, value


def _parse_header(text: str) -> dict[str, str]:
    header: dict[str, str] = {}
    for item in text.split(";")[:-1]:  # the header ends with ';' right before CP
        key, value = _split_pair(item)
        if key not in _HEADER_FIELDS or key in header:
            raise FrameError(FrameErrorReason.BAD_FIELD, f"unknown or repeated header field {key!r}")
        header[key] = value
    for key in _REQUIRED_FIELDS:
        if key not in header:
            raise FrameError(FrameErrorReason.MISSING_FIELD, f"header field {key} is missing")
    return header


def _header_int(header: Mapping[str, str], key: str) -> int:
    shortest, longest, reason = _HEADER_DIGITS[key]
    text = header[key]
    if not (text.isascii() and text.isdigit() and shortest <= len(text) <= longest):
        raise FrameError(reason, f"{key} must be {shortest}-{longest} digits, got {text!r}")
    return int(text)


def format_time(moment: datetime) -> str:
    """An aware datetime as HJ 212 ``YYYYMMDDhhmmss`` in Asia/Shanghai local time."""
    local = moment.astimezone(SHANGHAI)
    return f"{local.year:04d}{local:%m%d%H%M%S}"


def parse_time(text: str) -> datetime:
    """``YYYYMMDDhhmmss`` (DataTime, SystemTime, BeginTime, …) as an aware Asia/Shanghai datetime."""
    match = _DATATIME.fullmatch(text)
    if match is not None:
        year, month, day, hour, minute, second = (int(part) for part in match.groups())
        try:
            return datetime(year, month, day, hour, minute, second, tzinfo=SHANGHAI)
        except ValueError:
            pass
    raise FrameError(FrameErrorReason.BAD_DATATIME, f"time must be a valid YYYYMMDDhhmmss, got {text!r}")


def _put(target: dict[str, _T], name: str, value: _T, key: str) -> None:
    if name in target:
        raise FrameError(FrameErrorReason.BAD_FIELD, f"CP item {key!r} repeated")
    target[name] = value


def _parse_cp(cp: str) -> tuple[datetime | None, FrameValues, dict[str, str]]:
    times: dict[str, datetime] = {}
    values: FrameValues = {}
    extra: dict[str, str] = {}
    for item in re.split("[;,]", cp) if cp else ():
        key, text = _split_pair(item)
        code, dash, name = key.partition("-")
        if key == "DataTime":
            _put(times, key, parse_time(text), key)
        elif dash:
            value = _parse_number(key, text) if name in NUMERIC_FIELDS else text
            _put(values.setdefault(code, {}), name, value, key)
        else:
            _put(extra, key, text, key)
    return times.get("DataTime"), values, extra


def _parse_number(key: str, text: str) -> Decimal:
    if not _NUMBER.fullmatch(text):
        raise FrameError(FrameErrorReason.BAD_NUMBER, f"{key}={text!r} is not a decimal number")
    return Decimal(text)


def parse(raw: bytes, *, accept_modbus_crc: bool = False) -> Frame:
    """Parse one complete frame (``##`` … ``\\r\\n``); every problem raises :class:`FrameError`."""
    raw = bytes(raw)
    if not raw.startswith(b"##") or not raw.endswith(b"\r\n") or len(raw) < _ENVELOPE:
        raise FrameError(FrameErrorReason.FRAMING, "a frame starts with '##' and ends with CRLF")
    length_text = raw[2:6]
    if not (length_text.isdigit() and int(length_text) + _ENVELOPE == len(raw)):
        raise FrameError(
            FrameErrorReason.LENGTH,
            f"length field {length_text!r} does not match the {len(raw) - _ENVELOPE}-byte data segment",
        )
    data, crc_text = raw[6:-6], raw[-6:-2]
    variant = _crc_variant(data, crc_text, accept_modbus_crc)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise FrameError(FrameErrorReason.ENCODING, "data segment is not valid UTF-8") from None
    head, cp_marker, cp = text.partition("CP=&&")
    if not cp_marker or (head and not head.endswith(";")):
        raise FrameError(FrameErrorReason.MISSING_FIELD, "header field CP is missing")
    if not cp.endswith("&&"):
        raise FrameError(FrameErrorReason.BAD_FIELD, "CP must end with '&&'")
    header = _parse_header(head)
    version = _header_int(header, "Flag") >> _VERSION_SHIFT
    if version in MAX_DATA_LENGTH:  # an unknown version fails as bad_flag when the Frame is built
        _check_size_and_encoding(data, version)
    data_time, values, extra = _parse_cp(cp[:-2])
    return Frame(
        qn=header.get("QN"),
        st=_header_int(header, "ST"),
        cn=_header_int(header, "CN"),
        pw=header["PW"],
        mn=header["MN"],
        flag=_header_int(header, "Flag"),
        pnum=_header_int(header, "PNUM") if "PNUM" in header else None,
        pno=_header_int(header, "PNO") if "PNO" in header else None,
        data_time=data_time,
        values=values,
        extra=extra,
        crc_variant=variant,
    )


def _crc_variant(data: bytes, crc_text: bytes, accept_modbus_crc: bool) -> CrcVariant:
    carried = int(crc_text, 16) if _HEX4.fullmatch(crc_text) else -1
    if carried == crc16(data):
        return CrcVariant.STANDARD
    if accept_modbus_crc and carried == crc16_modbus(data):
        return CrcVariant.MODBUS
    raise FrameError(FrameErrorReason.CRC, f"CRC {crc_text!r} does not match {crc16(data):04X}")


# --- Builders -------------------------------------------------------------------------------------


def _coerce(code: str, name: str, value: Number) -> Decimal | str:
    if name not in NUMERIC_FIELDS:
        if not isinstance(value, str):
            raise FrameError(FrameErrorReason.BAD_FIELD, f"{code}-{name} takes text, got {value!r}")
        return value
    try:
        return to_decimal(value)
    except ValueError as error:
        raise FrameError(FrameErrorReason.BAD_NUMBER, f"{code}-{name}: {error}") from None


def data_frame(
    *,
    st: int,
    cn: int,
    mn: str,
    pw: str,
    data_time: datetime,
    values: Mapping[str, Mapping[str, Number]],
    qn: str | None = None,
    needs_reply: bool = True,
    version: int = 1,
    pnum: int | None = None,
    pno: int | None = None,
) -> Frame:
    """A data upload (CN 2011 real-time, 2051 minute, 2061 hourly, 2031 daily, …) as a device sends it.

    Numeric fields (Rtd, Avg, …) accept any number (floats through their repr); ``data_time`` is
    truncated to whole seconds because DataTime carries no fractions.
    """
    if cn not in DATA_COMMANDS:
        raise FrameError(FrameErrorReason.BAD_FIELD, f"CN {cn} is not a data upload command")
    return Frame(
        qn=qn,
        st=st,
        cn=cn,
        pw=pw,
        mn=mn,
        flag=make_flag(version=version, needs_reply=needs_reply, has_packets=pnum is not None),
        pnum=pnum,
        pno=pno,
        data_time=data_time.replace(microsecond=0),
        values={code: {name: _coerce(code, name, v) for name, v in fields.items()} for code, fields in values.items()},
    )


def _reply(request: Frame, cn: Command, extra: dict[str, str]) -> Frame:
    # Replies echo the request's QN, PW and MN, use ST 91 and never ask for a reply themselves.
    return Frame(
        qn=request.qn,
        st=SystemCode.SYSTEM,
        cn=cn,
        pw=request.pw,
        mn=request.mn,
        flag=make_flag(version=request.version, needs_reply=False),
        extra=extra,
    )


def data_reply(request: Frame) -> Frame:
    """CN 9014: the platform acknowledges a data upload that asked for a reply."""
    return _reply(request, Command.DATA_REPLY, {})


def notification_reply(request: Frame) -> Frame:
    """CN 9013: acknowledges a notification."""
    return _reply(request, Command.NOTIFICATION_REPLY, {})


def request_reply(request: Frame, qn_rtn: int) -> Frame:
    """CN 9011: the answer to a command (:class:`QnRtn`)."""
    return _reply(request, Command.REQUEST_REPLY, {"QnRtn": str(int(qn_rtn))})


def execution_result(request: Frame, exe_rtn: int) -> Frame:
    """CN 9012: the outcome of an executed command (:class:`ExeRtn`)."""
    return _reply(request, Command.EXECUTION_RESULT, {"ExeRtn": str(int(exe_rtn))})


def command(
    cn: int, *, st: int, mn: str, pw: str, qn: str, extra: Mapping[str, str] | None = None, version: int = 1
) -> Frame:
    """A platform command to a device; it always asks for a reply (9011) and carries the station's ST."""
    return Frame(
        qn=qn,
        st=st,
        cn=cn,
        pw=pw,
        mn=mn,
        flag=make_flag(version=version, needs_reply=True),
        extra=dict(extra or {}),
    )


def _pol_id(pol_id: str | None) -> dict[str, str]:
    return {} if pol_id is None else {"PolId": pol_id}


def get_time(*, st: int, mn: str, pw: str, qn: str, pol_id: str | None = None, version: int = 1) -> Frame:
    """CN 1011: ask for the device clock (optionally of one instrument, PolId)."""
    return command(Command.GET_TIME, st=st, mn=mn, pw=pw, qn=qn, extra=_pol_id(pol_id), version=version)


def set_time(
    *, st: int, mn: str, pw: str, qn: str, system_time: datetime, pol_id: str | None = None, version: int = 1
) -> Frame:
    """CN 1012: set the device clock (SystemTime, Asia/Shanghai)."""
    extra = {**_pol_id(pol_id), "SystemTime": format_time(system_time)}
    return command(Command.SET_TIME, st=st, mn=mn, pw=pw, qn=qn, extra=extra, version=version)


def start_realtime(*, st: int, mn: str, pw: str, qn: str, version: int = 1) -> Frame:
    """CN 2011 from the platform: start uploading real-time data."""
    return command(Command.REALTIME_DATA, st=st, mn=mn, pw=pw, qn=qn, version=version)


def stop_realtime(*, st: int, mn: str, pw: str, qn: str, version: int = 1) -> Frame:
    """CN 2012: stop uploading real-time data."""
    return command(Command.STOP_REALTIME_DATA, st=st, mn=mn, pw=pw, qn=qn, version=version)


def history_request(
    *,
    st: int,
    mn: str,
    pw: str,
    qn: str,
    begin: datetime,
    end: datetime,
    cn: int = Command.HOURLY_DATA,
    version: int = 1,
) -> Frame:
    """CN 2061 (or 2051 minute, 2031 daily): ask a device to re-send history between two times."""
    if cn not in HISTORY_COMMANDS:
        raise FrameError(FrameErrorReason.BAD_FIELD, f"CN {cn} is not a history data command")
    extra = {"BeginTime": format_time(begin), "EndTime": format_time(end)}
    return command(cn, st=st, mn=mn, pw=pw, qn=qn, extra=extra, version=version)


# --- Streams and split packets --------------------------------------------------------------------


class FrameReader:
    """Splits a TCP byte stream into raw frames, using each frame's length field.

    :meth:`feed` returns complete frames (``bytes``, still to be :func:`parse`\\ d) and
    :class:`FrameError` for skipped bytes, in stream order; it never raises. Bytes before ``##`` are
    ``framing``; a bad length field or a CRLF not where the length says is ``length``; a length above
    ``max_data_length`` is ``too_long``. After each call at most one incomplete frame is buffered,
    so the buffer never exceeds :attr:`max_frame_size`.
    """

    def __init__(self, *, max_data_length: int = 9999) -> None:
        if not 0 <= max_data_length <= 9999:
            raise ValueError(f"max_data_length must be 0..9999, got {max_data_length}")
        self._max_data_length = max_data_length
        self._buffer = bytearray()

    @property
    def max_frame_size(self) -> int:
        return self._max_data_length + _ENVELOPE

    @property
    def buffered(self) -> int:
        return len(self._buffer)

    def feed(self, data: bytes) -> list[bytes | FrameError]:
        self._buffer += data
        out: list[bytes | FrameError] = []
        pos = 0
        while True:
            start = self._buffer.find(b"##", pos)
            end = start if start >= 0 else self._tail()
            if end > pos:
                out.append(self._skipped(FrameErrorReason.FRAMING, "bytes outside a frame", pos, end))
            pos = end
            if start < 0:
                break
            outcome = self._frame_at(pos)
            if outcome is None:
                break
            if isinstance(outcome, bytes):
                out.append(outcome)
                pos += len(outcome)
            else:
                resume = self._next_start(pos)
                out.append(self._skipped(*outcome, pos, resume))
                pos = resume
        del self._buffer[:pos]
        return out

    def close(self) -> list[FrameError]:
        """End of stream: report an incomplete trailing frame, if any."""
        size = len(self._buffer)
        self._buffer.clear()
        return [FrameError(FrameErrorReason.FRAMING, f"stream ended inside a frame ({size} bytes)")] if size else []

    def _frame_at(self, pos: int) -> bytes | tuple[FrameErrorReason, str] | None:
        """The frame starting at ``pos``, why it is bad, or None while more bytes are needed."""
        length_text = bytes(self._buffer[pos + 2 : pos + 6])
        if length_text and not length_text.isdigit():
            return FrameErrorReason.LENGTH, "bad length field"
        if len(length_text) < 4:
            return None
        length = int(length_text)
        if length > self._max_data_length:
            return FrameErrorReason.TOO_LONG, f"length {length} above {self._max_data_length}"
        end = pos + length + _ENVELOPE
        if len(self._buffer) < end:
            return None
        if self._buffer[end - 2 : end] != b"\r\n":
            return FrameErrorReason.LENGTH, "no CRLF where the length field says"
        return bytes(self._buffer[pos:end])

    def _tail(self) -> int:
        # Keep a final '#': it may be the first half of the next "##".
        return len(self._buffer) - self._buffer.endswith(b"#")

    def _next_start(self, pos: int) -> int:
        found = self._buffer.find(b"##", pos + 1)
        return found if found >= 0 else self._tail()

    def _skipped(self, reason: FrameErrorReason, what: str, start: int, end: int) -> FrameError:
        preview = bytes(self._buffer[start : min(end, start + 32)])
        return FrameError(reason, f"{end - start} bytes skipped ({what}): {preview!r}")


class PacketAssembler:
    """Reassembles split packets (Flag bit D, PNUM/PNO) that share MN, CN and QN.

    :meth:`add` returns the frames ready for use: an unsplit frame at once, nothing while a group is
    incomplete, and once PNO 1..PNUM have all arrived one merged frame per DataTime (packets of a
    history upload may each carry their own record), with PNUM/PNO and bit D removed. A repeated PNO
    replaces the earlier copy; where packets of one DataTime repeat an item, the later PNO wins.
    At most ``max_pending`` groups wait; the stalest is dropped beyond that (counted in
    :attr:`evicted`), as is a group whose PNUM changes.
    """

    def __init__(self, *, max_pending: int = 64) -> None:
        if max_pending < 1:
            raise ValueError(f"max_pending must be at least 1, got {max_pending}")
        self._max_pending = max_pending
        self._groups: dict[tuple[str, int, str | None], dict[int, Frame]] = {}
        self.evicted = 0

    @property
    def pending(self) -> int:
        return len(self._groups)

    def add(self, frame: Frame) -> tuple[Frame, ...]:
        if frame.pnum is None or frame.pno is None:
            return (frame,)
        key = (frame.mn, frame.cn, frame.qn)
        group = self._groups.pop(key, {})  # re-inserted last, so eviction drops the stalest group
        if any(packet.pnum != frame.pnum for packet in group.values()):
            self.evicted += 1
            group = {}
        group[frame.pno] = frame
        if len(group) == frame.pnum:
            return _merge([group[pno] for pno in sorted(group)])
        self._groups[key] = group
        if len(self._groups) > self._max_pending:
            del self._groups[next(iter(self._groups))]
            self.evicted += 1
        return ()


def _merge(packets: list[Frame]) -> tuple[Frame, ...]:
    by_time: dict[datetime | None, list[Frame]] = {}
    for packet in packets:
        by_time.setdefault(packet.data_time, []).append(packet)
    merged = []
    for data_time, group in by_time.items():
        values: FrameValues = {}
        extra: dict[str, str] = {}
        for packet in group:
            for code, fields in packet.values.items():
                values.setdefault(code, {}).update(fields)
            extra.update(packet.extra)
        merged.append(
            replace(
                group[0],
                flag=group[0].flag & ~FLAG_PACKETS,
                pnum=None,
                pno=None,
                data_time=data_time,
                values=values,
                extra=extra,
            )
        )
    return tuple(merged)
