"""HJ 212 frame codec: HJ 212-2017 (and HJ 212—2025 frames), pure and exact.

Frame layout (HJ 212-2017 §6): ``##`` + 4-digit decimal length of the data segment + data segment +
4 hex digits of CRC over the data segment only + ``\\r\\n``. The data segment is
``QN=…;ST=..;CN=....;PW=…;MN=…;Flag=.;[PNUM=..;PNO=..;]CP=&&…&&``.

Sources: field meanings, ST/CN codes, data flags and the CRC algorithm come from HJ 212-2017 (§6 and
Appendix A; the codes of Appendix B) as implemented in public code and checked against the standard's own
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
- DataTime is Beijing time, the fixed offset UTC+08:00 (never historical zone rules); it is not
  established whether hourly/daily records stamp the
  period start [?]. The platform starts real-time upload with CN 2011 and stops it with CN 2012; the
  device uploads real-time data with CN 2011 as well.
"""

from services.standards.hj212.builders import (
    command,
    data_frame,
    data_reply,
    execution_result,
    get_time,
    history_request,
    notification_reply,
    request_reply,
    set_time,
    start_realtime,
    stop_realtime,
)
from services.standards.hj212.codes import (
    DATA_COMMANDS,
    DATA_FLAGS,
    FLAG_PACKETS,
    FLAG_REPLY,
    HISTORY_COMMANDS,
    NUMERIC_FIELDS,
    Command,
    CrcVariant,
    ExeRtn,
    QnRtn,
    SystemCode,
)
from services.standards.hj212.frame import (
    MAX_DATA_LENGTH,
    Frame,
    FrameError,
    FrameErrorReason,
    FrameValues,
    build,
    crc16,
    crc16_modbus,
    format_time,
    make_flag,
    parse,
    parse_time,
)
from services.standards.hj212.stream import FrameReader, PacketAssembler

__all__ = [
    "DATA_COMMANDS",
    "DATA_FLAGS",
    "FLAG_PACKETS",
    "FLAG_REPLY",
    "HISTORY_COMMANDS",
    "MAX_DATA_LENGTH",
    "NUMERIC_FIELDS",
    "Command",
    "CrcVariant",
    "ExeRtn",
    "Frame",
    "FrameError",
    "FrameErrorReason",
    "FrameReader",
    "FrameValues",
    "PacketAssembler",
    "QnRtn",
    "SystemCode",
    "build",
    "command",
    "crc16",
    "crc16_modbus",
    "data_frame",
    "data_reply",
    "execution_result",
    "format_time",
    "get_time",
    "history_request",
    "make_flag",
    "notification_reply",
    "parse",
    "parse_time",
    "request_reply",
    "set_time",
    "start_realtime",
    "stop_realtime",
]
