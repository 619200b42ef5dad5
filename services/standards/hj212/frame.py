"""One HJ 212 frame: the :class:`Frame` model, its CRC, :func:`build` and :func:`parse`, and DataTime."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType
from typing import TypeVar

from services.standards.hj212.codes import DATA_FLAGS, FLAG_PACKETS, FLAG_REPLY, NUMERIC_FIELDS, CrcVariant
from services.standards.local_time import BEIJING_TIME

_T = TypeVar("_T")

# Data segment limits by Flag version: HJ/T 212-2005 and HJ 212-2017 say 1024; 2025 is unknown [?],
# so only the 4-digit length field bounds it.
MAX_DATA_LENGTH: Mapping[int, int] = MappingProxyType({0: 1024, 1: 1024, 2: 9999})
ENVELOPE = len(b"##0000") + len(b"0000\r\n")


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
    """An aware datetime as HJ 212 ``YYYYMMDDhhmmss`` in Beijing time (UTC+08:00)."""
    local = moment.astimezone(BEIJING_TIME)
    return f"{local.year:04d}{local:%m%d%H%M%S}"


def parse_time(text: str) -> datetime:
    """``YYYYMMDDhhmmss`` (DataTime, SystemTime, BeginTime, …) as an aware Beijing-time (fixed UTC+08:00) datetime."""
    match = _DATATIME.fullmatch(text)
    if match is not None:
        year, month, day, hour, minute, second = (int(part) for part in match.groups())
        try:
            return datetime(year, month, day, hour, minute, second, tzinfo=BEIJING_TIME)
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
    if not raw.startswith(b"##") or not raw.endswith(b"\r\n") or len(raw) < ENVELOPE:
        raise FrameError(FrameErrorReason.FRAMING, "a frame starts with '##' and ends with CRLF")
    length_text = raw[2:6]
    if not (length_text.isdigit() and int(length_text) + ENVELOPE == len(raw)):
        raise FrameError(
            FrameErrorReason.LENGTH,
            f"length field {length_text!r} does not match the {len(raw) - ENVELOPE}-byte data segment",
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
