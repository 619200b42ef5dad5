"""HJ 212 codec: HJ 212-2017's own example frame (CRC 1C80), round trips, stream splitting, packets and fuzzing."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import pairwise
from typing import TypedDict

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.standards import hj212
from services.standards.hj212 import Command, CrcVariant, Frame, FrameError, FrameErrorReason
from services.standards.local_time import BEIJING_TIME

SH = BEIJING_TIME
EXAMPLE = (
    b"##0101QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;"
    b"CP=&&RtdInterval=30&&1C80\r\n"
)
EXAMPLE_DATA = EXAMPLE[6:-6]
MN = "010000A8900016F000169DC0"


def reference_crc(data: bytes) -> int:
    """The appendix algorithm exactly as HJ 212-2017 prints it, as an oracle for the table version."""
    crc = 0xFFFF
    for b in data:
        crc = (crc >> 8) ^ b
        for _ in range(8):
            lsb = crc & 1
            crc >>= 1
            if lsb:
                crc ^= 0xA001
    return crc


def envelope(data: bytes, crc: int | None = None) -> bytes:
    """Wrap a data segment with a correct length and (by default) a correct standard CRC."""
    return b"##%04d%s%04X\r\n" % (len(data), data, hj212.crc16(data) if crc is None else crc)


def reason_of(raw: bytes, **kwargs: bool) -> str:
    with pytest.raises(FrameError) as info:
        hj212.parse(raw, **kwargs)
    assert str(info.value)  # a human message
    return info.value.reason


# --- CRC --------------------------------------------------------------------------------------------


def test_crc_of_the_standard_example() -> None:
    assert hj212.crc16(EXAMPLE_DATA) == 0x1C80
    assert hj212.crc16_modbus(EXAMPLE_DATA) == 0x0759


@given(st.binary(max_size=300))
def test_crc_table_matches_the_reference_algorithm(data: bytes) -> None:
    assert hj212.crc16(data) == reference_crc(data)


def test_crc_modbus_check_value() -> None:
    assert hj212.crc16_modbus(b"123456789") == 0x4B37  # the CRC-16/MODBUS catalogue check value


# --- Parsing the example and variants ------------------------------------------------------------------


def test_parse_the_standard_example() -> None:
    f = hj212.parse(EXAMPLE)
    assert (f.qn, f.st, f.cn, f.pw, f.mn, f.flag) == ("20160801085857223", 32, 1062, "100000", MN, 5)
    assert (f.version, f.needs_reply, f.has_packets, f.pnum, f.pno) == (1, True, False, None, None)
    assert f.extra == {"RtdInterval": "30"} and f.values == {} and f.data_time is None
    assert f.crc_variant is CrcVariant.STANDARD
    assert hj212.build(f) == EXAMPLE


def test_modbus_crc_only_when_accepted() -> None:
    modbus = envelope(EXAMPLE_DATA, 0x0759)
    assert reason_of(modbus) == "crc"
    f = hj212.parse(modbus, accept_modbus_crc=True)
    assert f.crc_variant is CrcVariant.MODBUS and f == hj212.parse(EXAMPLE)
    assert hj212.build(f, crc_variant=CrcVariant.MODBUS) == modbus


def test_lowercase_crc_is_accepted() -> None:
    assert hj212.parse(EXAMPLE[:-6] + b"1c80\r\n").cn == 1062


DATA_SEGMENT = (
    "QN=20261127100000123;ST=21;CN=2061;PW=123456;MN=" + MN + ";Flag={flag};{packets}CP=&&DataTime=20261127100000;"
    "w21003-Avg=0.412,w21003-Flag=N;w01001-Min=-7.1,w01001-Max=7.5,w01001-Cou=12,w01001-ZsAvg=1.5,"
    "w01001-SampleTime=20261127095500&&"
)


def test_parse_data_frame_values() -> None:
    f = hj212.parse(envelope(DATA_SEGMENT.format(flag=5, packets="").encode()))
    assert f.data_time == datetime(2026, 11, 27, 10, tzinfo=SH)
    assert f.data_time.utcoffset() == timedelta(hours=8)
    assert f.values == {
        "w21003": {"Avg": Decimal("0.412"), "Flag": "N"},
        "w01001": {
            "Min": Decimal("-7.1"),
            "Max": Decimal("7.5"),
            "Cou": Decimal("12"),
            "ZsAvg": Decimal("1.5"),
            "SampleTime": "20261127095500",
        },
    }
    assert isinstance(f.values["w21003"]["Avg"], Decimal)


@pytest.mark.parametrize(
    ("flag", "version", "needs_reply"), [(0, 0, False), (1, 0, True), (4, 1, False), (5, 1, True), (9, 2, True)]
)
def test_flag_versions(flag: int, version: int, needs_reply: bool) -> None:
    f = hj212.parse(envelope(DATA_SEGMENT.format(flag=flag, packets="").encode()))
    assert (f.version, f.needs_reply, f.has_packets) == (version, needs_reply, False)


def test_packets_are_parsed() -> None:
    f = hj212.parse(envelope(DATA_SEGMENT.format(flag=7, packets="PNUM=3;PNO=2;").encode()))
    assert (f.has_packets, f.pnum, f.pno) == (True, 3, 2)


def test_2025_frame_counts_utf8_bytes() -> None:
    data = DATA_SEGMENT.format(flag=9, packets="").replace("SampleTime=20261127095500", "Info=水质").encode()
    f = hj212.parse(envelope(data))
    assert f.values["w01001"]["Info"] == "水质" and f.version == 2
    assert len(data) == len(data.decode()) + 4  # two 3-byte characters counted as 6 bytes
    assert reason_of(b"##%04d" % len(data.decode()) + data + b"%04X\r\n" % hj212.crc16(data)) == "length"


def test_2025_frames_may_exceed_1024_bytes() -> None:
    cp = ";".join(f"k{i}=1" for i in range(200))
    assert len(hj212.parse(seg(HEAD.replace("Flag=4", "Flag=8") + f"CP=&&{cp}&&")).extra) == 200


def test_qn_is_optional_and_fields_may_come_in_any_order() -> None:
    f = hj212.parse(envelope(b"Flag=4;MN=88888880000001;PW=123456;CN=2011;ST=32;CP=&&&&"))
    assert f.qn is None and f.mn == "88888880000001" and f.version == 1
    assert hj212.build(f) == envelope(b"ST=32;CN=2011;PW=123456;MN=88888880000001;Flag=4;CP=&&&&")


def seg(text: str) -> bytes:
    return envelope(text.encode())


HEAD = "QN=20261127100000123;ST=21;CN=2011;PW=123456;MN=A1;Flag=4;"

MALFORMED = [
    (b"", "framing"),
    (b"#0101", "framing"),
    (EXAMPLE[:-2], "framing"),  # no CRLF
    (EXAMPLE[:-2] + b"\n", "framing"),
    (b" " + EXAMPLE, "framing"),
    (b"##0100" + EXAMPLE[6:], "length"),
    (b"##01a1" + EXAMPLE[6:], "length"),
    (b"##+101" + EXAMPLE[6:], "length"),
    (EXAMPLE[:-6] + b"1C81\r\n", "crc"),
    (EXAMPLE[:-6] + b"0x1C\r\n", "crc"),
    (EXAMPLE[:-6] + b"ZZZZ\r\n", "crc"),
    (envelope(b"\xff\xfe" + EXAMPLE_DATA), "encoding"),
    (seg(HEAD + "CP=&&" + ";".join(f"k{i}=1" for i in range(200)) + "&&"), "too_long"),
    (seg(HEAD + "CP=&&x=水&&"), "encoding"),  # non-ASCII in a 2017 frame
    (seg(HEAD), "missing_field"),
    (seg(HEAD.replace("ST=21;", "") + "CP=&&&&"), "missing_field"),
    (seg(HEAD.replace("PW=123456;", "") + "CP=&&&&"), "missing_field"),
    (seg(HEAD.replace("Flag=4;", "") + "CP=&&&&"), "missing_field"),
    (seg(HEAD.replace("Flag=4", "Flag=6") + "CP=&&&&"), "missing_field"),  # bit D without PNUM
    (seg(HEAD + "XCP=&&&&"), "missing_field"),
    (seg(HEAD + "CP=&&a=1"), "bad_field"),
    (seg(HEAD + "Foo=1;CP=&&&&"), "bad_field"),
    (seg(HEAD + "ST=22;CP=&&&&"), "bad_field"),
    (seg(HEAD + "junk;CP=&&&&"), "bad_field"),
    (seg(HEAD.replace("ST=21", "ST=2") + "CP=&&&&"), "bad_field"),
    (seg(HEAD.replace("ST=21", "ST=٢١").replace("Flag=4", "Flag=8") + "CP=&&&&"), "bad_field"),
    (seg(HEAD.replace("CN=2011", "CN=201") + "CP=&&&&"), "bad_field"),
    (seg(HEAD.replace("QN=20261127100000123", "QN=2026") + "CP=&&&&"), "bad_field"),
    (seg(HEAD.replace("PW=123456", "PW=1234567") + "CP=&&&&"), "bad_field"),
    (seg(HEAD.replace("MN=A1", "MN=A-1") + "CP=&&&&"), "bad_field"),
    (seg(HEAD.replace("MN=A1", "MN=" + "A" * 25) + "CP=&&&&"), "bad_field"),
    (seg(HEAD + "PNUM=2;PNO=1;CP=&&&&"), "bad_field"),  # packets without bit D
    (seg(HEAD.replace("Flag=4", "Flag=6") + "PNUM=2;PNO=3;CP=&&&&"), "bad_field"),
    (seg(HEAD.replace("Flag=4", "Flag=6") + "PNUM=2;PNO=x;CP=&&&&"), "bad_field"),
    (seg(HEAD + "CP=&&w01001-Rtd=1;w01001-Rtd=2&&"), "bad_field"),
    (seg(HEAD + "CP=&&RtdInterval=30;RtdInterval=30&&"), "bad_field"),
    (seg(HEAD + "CP=&&RtdInterval&&"), "bad_field"),
    (seg(HEAD + "CP=&&RtdInterval=&&"), "bad_field"),
    (seg(HEAD + "CP=&&a=b=c&&"), "bad_field"),
    (seg(HEAD + "CP=&&w01001-Info=a&b&&"), "bad_field"),
    (seg(HEAD + "CP=&&w0 1-Rtd=1&&"), "bad_field"),
    (seg(HEAD + "CP=&&w01001-R1=1&&"), "bad_field"),
    (seg(HEAD + "CP=&&1x=1&&"), "bad_field"),
    (seg(HEAD + "CP=&&DataTime=20260230100000&&"), "bad_datatime"),
    (seg(HEAD + "CP=&&DataTime=2026113010000&&"), "bad_datatime"),
    (seg(HEAD + "CP=&&DataTime=20261130100000;DataTime=20261130100000&&"), "bad_field"),
    (seg(HEAD + "CP=&&w01001-Rtd=abc&&"), "bad_number"),
    (seg(HEAD + "CP=&&w01001-Rtd=1e5&&"), "bad_number"),
    (seg(HEAD + "CP=&&w01001-Rtd=NaN&&"), "bad_number"),
    (seg(HEAD + "CP=&&w01001-Avg=&&"), "bad_number"),
    (seg(HEAD + "CP=&&w01001-Flag=X&&"), "bad_flag"),
    (seg(HEAD.replace("Flag=4", "Flag=12") + "CP=&&&&"), "bad_flag"),
    (seg(HEAD.replace("Flag=4", "Flag=256") + "CP=&&&&"), "bad_flag"),
    (seg(HEAD.replace("Flag=4", "Flag=1000") + "CP=&&&&"), "bad_flag"),
]


@pytest.mark.parametrize(("raw", "reason"), MALFORMED)
def test_malformed_frames_name_their_reason(raw: bytes, reason: str) -> None:
    assert reason_of(raw) == reason


def test_frame_error_is_a_value_error_with_a_fixed_reason_set() -> None:
    assert issubclass(FrameError, ValueError)
    assert {r.value for r in FrameErrorReason} == {
        "framing", "length", "crc", "too_long", "missing_field", "bad_field", "bad_datatime", "bad_number",
        "bad_flag", "encoding",
    }  # fmt: skip


@pytest.mark.parametrize(("letter", "word"), [("N", "normal"), ("F", "stopped"), ("M", "maintenance"),
                                              ("S", "set value"), ("D", "fault"), ("C", "calibration"),
                                              ("T", "upper"), ("B", "communication")])  # fmt: skip
def test_every_data_flag_parses(letter: str, word: str) -> None:
    f = hj212.parse(seg(HEAD + f"CP=&&w01001-Rtd=7,w01001-Flag={letter}&&"))
    assert f.values["w01001"]["Flag"] == letter and word in hj212.DATA_FLAGS[letter]
    assert len(hj212.DATA_FLAGS) == 8


# --- Frame validation and builders ------------------------------------------------------------------------


BASE = {"st": 21, "cn": 2011, "pw": "123456", "mn": MN, "flag": 4}


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"st": 100}, "bad_field"),
        ({"cn": -1}, "bad_field"),
        ({"pw": ""}, "bad_field"),
        ({"data_time": datetime(2026, 1, 1)}, "bad_datatime"),
        ({"data_time": datetime(2026, 1, 1, 0, 0, 0, 5, tzinfo=SH)}, "bad_datatime"),
        ({"values": {"w01001": {"Rtd": "7"}}}, "bad_number"),
        ({"values": {"w01001": {"Rtd": Decimal("Infinity")}}}, "bad_number"),
        ({"values": {"w01001": {"Info": Decimal(1)}}}, "bad_field"),
        ({"values": {"w01001": {}}}, "bad_field"),
        ({"extra": {"DataTime": "20260101000000"}}, "bad_field"),
        ({"extra": {"Bad-Key": "1"}}, "bad_field"),
        ({"flag": -1}, "bad_flag"),
    ],
)
def test_frame_construction_validates(changes: dict[str, object], reason: str) -> None:
    with pytest.raises(FrameError) as info:
        Frame(**{**BASE, **changes})  # type: ignore[arg-type]
    assert info.value.reason == reason


def test_build_rejects_non_ascii_2017_and_oversize() -> None:
    base = Frame(st=21, cn=2011, pw="123456", mn=MN, flag=4)
    with pytest.raises(FrameError, match="ASCII") as info:
        hj212.build(replace(base, extra={"Info": "水"}))
    assert info.value.reason == "encoding"
    with pytest.raises(FrameError) as info:
        hj212.build(replace(base, extra={"Info": "x" * 1000}))
    assert info.value.reason == "too_long"
    v2025 = replace(base, flag=8, extra={"Info": "水"})
    assert hj212.parse(hj212.build(v2025)) == v2025


def test_data_frame_for_simulators() -> None:
    moment = datetime(2026, 11, 27, 2, 0, 0, 999_999, tzinfo=UTC)
    f = hj212.data_frame(
        st=hj212.SystemCode.SURFACE_WATER,
        cn=Command.HOURLY_DATA,
        mn=MN,
        pw="123456",
        data_time=moment,
        values={"w21003": {"Avg": 0.412, "Max": "0.5", "Flag": "N"}, "w01001": {"Avg": Decimal("7.40")}},
        qn="20261127100000123",
    )
    raw = hj212.build(f)
    assert b"DataTime=20261127100000;w21003-Avg=0.412,w21003-Max=0.5,w21003-Flag=N;w01001-Avg=7.40&&" in raw
    assert raw.startswith(b"##") and b"Flag=5;" in raw
    parsed = hj212.parse(raw)
    assert parsed == f and parsed.data_time == datetime(2026, 11, 27, 10, tzinfo=SH)


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"cn": 1011}, "bad_field"),
        ({"values": {"w01001": {"Avg": "x"}}}, "bad_number"),
        ({"values": {"w01001": {"Flag": 1}}}, "bad_field"),
    ],
)
def test_data_frame_rejects(kwargs: dict[str, object], reason: str) -> None:
    args: dict[str, object] = {
        "st": 21, "cn": 2011, "mn": MN, "pw": "123456", "data_time": datetime(2026, 1, 1, tzinfo=SH), "values": {},
    }  # fmt: skip
    with pytest.raises(FrameError) as info:
        hj212.data_frame(**{**args, **kwargs})  # type: ignore[arg-type]
    assert info.value.reason == reason


def test_data_frame_with_packets_and_2025() -> None:
    f = hj212.data_frame(
        st=21, cn=2011, mn=MN, pw="123456", data_time=datetime(2026, 1, 1, tzinfo=SH), values={},
        version=2, needs_reply=False, pnum=2, pno=1,
    )  # fmt: skip
    assert (f.flag, f.version, f.has_packets, f.needs_reply) == (10, 2, True, False)
    assert b"Flag=10;PNUM=2;PNO=1;CP=" in hj212.build(f)


def test_replies_echo_the_request() -> None:
    request = hj212.parse(EXAMPLE)
    data = hj212.data_reply(request)
    assert (data.cn, data.st, data.qn, data.mn, data.pw, data.flag, data.needs_reply) == (
        9014, 91, request.qn, MN, "100000", 4, False,
    )  # fmt: skip
    assert hj212.build(data) == envelope(
        b"QN=20160801085857223;ST=91;CN=9014;PW=100000;MN=010000A8900016F000169DC0;Flag=4;CP=&&&&"
    )
    assert hj212.request_reply(request, hj212.QnRtn.READY).extra == {"QnRtn": "1"}
    assert hj212.request_reply(request, 9).cn == 9011
    result = hj212.execution_result(request, hj212.ExeRtn.NO_DATA)
    assert (result.cn, result.extra) == (9012, {"ExeRtn": "100"})
    assert hj212.notification_reply(request).cn == 9013
    v2025 = hj212.data_reply(hj212.parse(envelope(DATA_SEGMENT.format(flag=9, packets="").encode())))
    assert v2025.flag == 8


class Common(TypedDict):
    st: int
    mn: str
    pw: str
    qn: str


def test_platform_commands() -> None:
    common: Common = {"st": 21, "mn": MN, "pw": "123456", "qn": "20261127100000123"}
    moment = datetime(2026, 11, 27, 10, 30, tzinfo=SH)
    assert hj212.get_time(**common).cn == 1011
    assert hj212.get_time(**common, pol_id="w01018").extra == {"PolId": "w01018"}
    set_time = hj212.set_time(**common, system_time=moment)
    assert (set_time.cn, set_time.extra, set_time.needs_reply) == (1012, {"SystemTime": "20261127103000"}, True)
    assert hj212.start_realtime(**common).cn == 2011
    assert hj212.stop_realtime(**common).cn == 2012
    history = hj212.history_request(**common, begin=moment, end=moment + timedelta(hours=5))
    assert history.cn == 2061
    raw = hj212.build(history)
    assert b"ST=21;CN=2061;" in raw and b"CP=&&BeginTime=20261127103000;EndTime=20261127153000&&" in raw
    assert hj212.parse(raw) == history
    assert hj212.parse_time(history.extra["EndTime"]) == moment + timedelta(hours=5)
    daily = hj212.history_request(**common, begin=moment, end=moment, cn=Command.DAILY_DATA)
    assert daily.cn == 2031
    with pytest.raises(FrameError):
        hj212.history_request(**common, begin=moment, end=moment, cn=2011)


def test_comma_separated_cp_items_parse_the_same() -> None:
    f = hj212.parse(seg(HEAD + "CP=&&BeginTime=20261127103000,EndTime=20261127153000&&"))
    assert f.extra == {"BeginTime": "20261127103000", "EndTime": "20261127153000"}


# --- Round trips --------------------------------------------------------------------------------------------


def fields_of(pairs: list[tuple[str, Decimal | str]]) -> dict[str, Decimal | str]:
    return dict(pairs)


alnum = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
decimals = st.builds(
    lambda n, places: Decimal(n).scaleb(-places),
    st.integers(min_value=-(10**9), max_value=10**9),
    st.integers(min_value=-2, max_value=6),
)
field_values: st.SearchStrategy[tuple[str, Decimal | str]] = st.one_of(
    st.tuples(st.sampled_from(sorted(hj212.NUMERIC_FIELDS)), decimals),
    st.tuples(st.just("Flag"), st.sampled_from(sorted(hj212.DATA_FLAGS))),
    st.tuples(st.sampled_from(["SampleTime", "EFlag", "Info"]), st.text(alnum, min_size=1, max_size=14)),
)
factor_values = st.dictionaries(
    st.sampled_from(["w01001", "w01009", "w21003", "w21011", "a34004", "a05024", "B02", "011"]),
    st.lists(field_values, min_size=1, max_size=4).map(fields_of),
    max_size=4,
)
extras = st.dictionaries(
    st.sampled_from(["RtdInterval", "BeginTime", "EndTime", "QnRtn", "ExeRtn", "SystemTime", "PolId"]),
    st.text(alnum, min_size=1, max_size=14),
    max_size=3,
)
times = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31)).map(
    lambda d: d.replace(microsecond=0, tzinfo=SH)
)


@st.composite
def frames(draw: st.DrawFn) -> Frame:
    version = draw(st.sampled_from([0, 1, 2]))
    packets = draw(st.booleans())
    pnum = draw(st.integers(1, 9999)) if packets else None
    flag = hj212.make_flag(version=version, needs_reply=draw(st.booleans()), has_packets=packets)
    return Frame(
        qn=draw(st.none() | st.text("0123456789", min_size=17, max_size=17)),
        st=draw(st.integers(0, 99)),
        cn=draw(st.integers(0, 9999)),
        pw=draw(st.text(alnum, min_size=1, max_size=6)),
        mn=draw(st.text(alnum, min_size=1, max_size=24)),
        flag=flag,
        pnum=pnum,
        pno=draw(st.integers(1, pnum)) if pnum else None,
        data_time=draw(st.none() | times),
        values=draw(factor_values),
        extra=draw(extras),
    )


@given(frame=frames(), variant=st.sampled_from(CrcVariant))
def test_parse_build_round_trip(frame: Frame, variant: CrcVariant) -> None:
    raw = hj212.build(frame, crc_variant=variant)
    parsed = hj212.parse(raw, accept_modbus_crc=True)
    assert parsed == frame
    data = raw[6:-6]
    if hj212.crc16(data) != hj212.crc16_modbus(data):
        assert parsed.crc_variant is variant
    assert hj212.build(parsed, crc_variant=variant) == raw


# --- FrameReader ----------------------------------------------------------------------------------------------


def cut(stream: bytes, points: list[int]) -> list[bytes]:
    edges = [0, *sorted(p % (len(stream) + 1) for p in points), len(stream)]
    return [stream[a:b] for a, b in pairwise(edges)]


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(frame_list=st.lists(frames(), min_size=1, max_size=5), points=st.lists(st.integers(0, 10**6), max_size=20))
def test_reader_over_arbitrary_splits(frame_list: list[Frame], points: list[int]) -> None:
    raws = [hj212.build(f) for f in frame_list]
    reader = hj212.FrameReader()
    out: list[bytes | FrameError] = []
    for chunk in cut(b"".join(raws), points):
        out += reader.feed(chunk)
        assert reader.buffered <= reader.max_frame_size
    assert out == raws
    assert [hj212.parse(r) for r in out if isinstance(r, bytes)] == frame_list
    assert reader.close() == [] and reader.buffered == 0


def test_reader_reports_garbage_and_resyncs() -> None:
    reader = hj212.FrameReader()
    out = reader.feed(b"hello" + EXAMPLE + b"\r\n##01x!" + EXAMPLE + b"##9999" + b"x" * 20)
    kinds = [r.reason if isinstance(r, FrameError) else r for r in out]
    assert kinds == ["framing", EXAMPLE, "framing", "length", EXAMPLE]
    assert reader.buffered == 26  # the incomplete "##9999…" frame waits
    closing = reader.close()
    assert [e.reason for e in closing] == ["framing"] and reader.buffered == 0


def test_reader_wrong_length_and_too_long() -> None:
    reader = hj212.FrameReader(max_data_length=1024)
    bad_length = b"##0100" + EXAMPLE[6:]  # CRLF not where the length says
    out = reader.feed(bad_length + b"##2000" + b"y" * 10 + EXAMPLE)
    assert [r.reason if isinstance(r, FrameError) else r for r in out] == ["length", "too_long", EXAMPLE]
    assert reader.max_frame_size == 1036


def test_reader_keeps_a_trailing_hash_and_waits_for_digits() -> None:
    reader = hj212.FrameReader()
    assert reader.feed(b"#") == [] and reader.buffered == 1
    assert reader.feed(b"#01") == [] and reader.buffered == 4
    assert reader.feed(EXAMPLE[4:]) == [EXAMPLE]


def test_reader_rejects_bad_limit() -> None:
    with pytest.raises(ValueError):
        hj212.FrameReader(max_data_length=10_000)


# --- Packets --------------------------------------------------------------------------------------------------


def packet(pno: int, pnum: int = 3, qn: str = "20261127100000123", hour: int = 10, **values: str) -> Frame:
    return hj212.data_frame(
        st=21, cn=2061, mn=MN, pw="123456", qn=qn, data_time=datetime(2026, 11, 27, hour, tzinfo=SH),
        values={code: {"Avg": v} for code, v in values.items()}, pnum=pnum, pno=pno,
    )  # fmt: skip


def test_packet_assembler_merges_when_complete() -> None:
    assembler = hj212.PacketAssembler()
    assert assembler.add(packet(2, w21003="0.4")) == ()
    assert assembler.add(packet(3, w21011="0.1")) == ()
    assert assembler.add(packet(3, w21011="0.2")) == ()  # a repeated PNO replaces the earlier copy
    assert assembler.pending == 1
    (merged,) = assembler.add(packet(1, w01001="7.4"))
    assert merged.values == {
        "w01001": {"Avg": Decimal("7.4")},
        "w21003": {"Avg": Decimal("0.4")},
        "w21011": {"Avg": Decimal("0.2")},
    }
    assert (merged.pnum, merged.pno, merged.has_packets, merged.needs_reply, merged.flag) == (
        None,
        None,
        False,
        True,
        5,
    )
    assert assembler.pending == 0
    assert hj212.parse(hj212.build(merged)) == merged


def test_packet_assembler_keeps_records_of_different_times() -> None:
    assembler = hj212.PacketAssembler()
    assembler.add(packet(1, pnum=2, hour=10, w21003="0.4"))
    first, second = assembler.add(packet(2, pnum=2, hour=11, w21003="0.5"))
    assert (first.data_time, second.data_time) == (
        datetime(2026, 11, 27, 10, tzinfo=SH),
        datetime(2026, 11, 27, 11, tzinfo=SH),
    )
    assert second.values == {"w21003": {"Avg": Decimal("0.5")}}


def test_packet_assembler_passes_unsplit_frames_and_is_bounded() -> None:
    assembler = hj212.PacketAssembler(max_pending=2)
    plain = hj212.parse(EXAMPLE)
    assert assembler.add(plain) == (plain,)
    assembler.add(packet(1, qn="20261127100000001"))
    assembler.add(packet(1, qn="20261127100000002"))
    assembler.add(packet(1, qn="20261127100000003"))
    assert assembler.pending == 2 and assembler.evicted == 1
    assert assembler.add(packet(2, qn="20261127100000001")) == ()  # its group was evicted
    assembler.add(packet(1, pnum=2, qn="20261127100000003"))  # PNUM changed: start again
    assert assembler.evicted == 3
    with pytest.raises(ValueError):
        hj212.PacketAssembler(max_pending=0)


# --- Fuzzing --------------------------------------------------------------------------------------------------


@settings(max_examples=500)
@given(st.binary(max_size=200))
def test_random_bytes_raise_only_frame_error(raw: bytes) -> None:
    for candidate in (raw, b"##" + raw, envelope(raw)):
        try:
            hj212.parse(candidate, accept_modbus_crc=True)
        except FrameError as error:
            assert error.reason in set(FrameErrorReason)


@settings(max_examples=500, suppress_health_check=[HealthCheck.too_slow])
@given(frame=frames(), data=st.data())
def test_mutated_frames_raise_only_frame_error(frame: Frame, data: st.DataObject) -> None:
    raw = bytearray(hj212.build(frame))
    for _ in range(data.draw(st.integers(1, 4))):
        position = data.draw(st.integers(0, len(raw) - 1))
        action = data.draw(st.sampled_from(["replace", "delete", "insert"]))
        byte = data.draw(st.sampled_from(b";,=&-#\r\n0123456789.AZaz\xff\xe6 "))
        if action == "replace":
            raw[position] = byte
        elif action == "delete":
            del raw[position]
        else:
            raw.insert(position, byte)
    mutated = bytes(raw)
    reseal = envelope(mutated[6:-6]) if len(mutated) > 12 else mutated  # reach the field checks too
    for candidate in (mutated, reseal):
        try:
            parsed = hj212.parse(candidate, accept_modbus_crc=True)
        except FrameError:
            continue
        assert hj212.parse(hj212.build(parsed)) == parsed


@settings(max_examples=300)
@given(chunks=st.lists(st.binary(max_size=300) | st.sampled_from([EXAMPLE, b"##", b"##9999", b"\r\n"]), max_size=30))
def test_reader_never_raises_and_stays_bounded(chunks: list[bytes]) -> None:
    reader = hj212.FrameReader(max_data_length=512)
    for chunk in chunks:
        for item in reader.feed(chunk):
            assert isinstance(item, FrameError) or (item.startswith(b"##") and item.endswith(b"\r\n"))
        assert reader.buffered <= reader.max_frame_size


def test_datatime_is_fixed_utc_plus_8_even_where_zone_history_differs() -> None:
    # Asia/Shanghai was local mean time +08:05:43 in 1900 and +09:00 in summer 1988; HJ 212 is Beijing time.
    for text in ("19000101000000", "19880701120000"):
        assert hj212.parse_time(text).utcoffset() == timedelta(hours=8)
