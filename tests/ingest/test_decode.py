"""decode(): every reject reason, table-driven, the bounds at decode, and a 10,000-example property that bad
input never escapes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.common.credentials import PasswordVerdict, VerifiedPasswords, hash_password
from services.ingest.decode import DecodeLimits, decode
from services.ingest.json_limits import MAX_DEPTH
from services.ingest.messages import InboundMessage, Reading, RejectReason
from services.ingest.registry import RegistrySnapshot
from services.standards import hj212
from services.standards.local_time import BEIJING_TIME
from services.standards.parameters import Kind
from services.storage.hj212_devices import Hj212Device
from tests.support.gateway_documents import any_documents, as_json, bad_documents

NOW = datetime(2026, 11, 27, 1, 0, tzinfo=UTC)
EARLIEST = datetime(2000, 1, 1, tzinfo=BEIJING_TIME)
LIMITS = DecodeLimits(
    max_payload_bytes=4096, max_readings_per_message=3, max_future=timedelta(minutes=10), earliest=EARLIEST
)
PW = "123456"
PW_HASH = hash_password(PW, iterations=1000)  # fewer iterations than production: the check is the same
REGISTRY = RegistrySnapshot(
    station_kinds={"PYJ-JINHUA": Kind.WATER, "AIR-KEQIAO": Kind.AIR, "PYJ-ANHUA": Kind.WATER},
    bindings=frozenset({("gw-pyj-jinhua", "PYJ-JINHUA"), ("gw-air-keqiao", "AIR-KEQIAO")}),
    mns={
        mn: Hj212Device(mn, gateway, station, kind, password_hash, accept_modbus_crc=False)
        for mn, gateway, station, kind, password_hash in (
            ("330681000000000000000001", "gw-pyj-jinhua", "PYJ-JINHUA", "water", PW_HASH),
            ("330681000000000000000002", "gw-air-keqiao", "AIR-KEQIAO", "air", PW_HASH),
            ("330681000000000000000003", "gw-pyj-anhua", "PYJ-ANHUA", "water", None),
        )
    },
)
WATER = "envmon/v1/PYJ-JINHUA/water"
FRAME_TOPIC = "envmon/v1/PYJ-JINHUA/hj212"
T = "2026-11-27T09:00:00+08:00"


def _message(topic: str, payload: bytes, gateway: str | None = None) -> InboundMessage:
    return InboundMessage(0, 1, 1, topic, payload, NOW, 1, gateway=gateway)


def _frame(
    cn: int = hj212.Command.HOURLY_DATA,
    mn: str = "330681000000000000000001",
    values: dict[str, dict[str, str]] | None = None,
    when: datetime = NOW,
    pw: str = PW,
) -> bytes:
    return hj212.build(
        hj212.data_frame(st=21, cn=cn, mn=mn, pw=pw, data_time=when, values=values or {"w01001": {"Avg": "7.1"}})
    )


REJECTS: list[tuple[str, str, bytes, str | None]] = [
    ("payload too large", WATER, b" " * 5000, RejectReason.PAYLOAD_TOO_LARGE),
    ("malformed json", WATER, b"{", RejectReason.MALFORMED_JSON),
    ("not utf-8", WATER, b"\xff\xfe", RejectReason.MALFORMED_JSON),
    ("not an object", WATER, b"[1]", RejectReason.BAD_SHAPE),
    (
        "too many readings",
        WATER,
        as_json({"readings": [{"time": T, "values": {"ph": 7}}] * 4}),
        RejectReason.TOO_MANY_READINGS,
    ),
    ("unknown topic", "envmon/v1/PYJ-JINHUA/noise", b"{}", RejectReason.UNKNOWN_TOPIC),
    ("unknown station", "envmon/v1/NOWHERE/water", b"{}", RejectReason.UNKNOWN_STATION),
    ("wrong topic kind", "envmon/v1/PYJ-JINHUA/air", b"{}", RejectReason.WRONG_TOPIC_KIND),
    ("bad time", WATER, as_json({"time": "yesterday", "values": {"ph": 7}}), RejectReason.BAD_TIME),
    (
        "time without offset",
        WATER,
        as_json({"time": "2026-11-27T09:00:00", "values": {"ph": 7}}),
        RejectReason.TIME_WITHOUT_OFFSET,
    ),
    (
        "time in future",
        WATER,
        as_json({"time": "2026-11-27T09:10:01+08:00", "values": {"ph": 7}}),
        RejectReason.TIME_IN_FUTURE,
    ),
    ("unknown parameter", WATER, as_json({"time": T, "values": {"unobtainium": 1}}), RejectReason.UNKNOWN_PARAMETER),
    ("wrong-kind parameter", WATER, as_json({"time": T, "values": {"pm25": 30}}), RejectReason.WRONG_KIND_PARAMETER),
    ("non-numeric", WATER, as_json({"time": T, "values": {"ph": "7.2"}}), RejectReason.NOT_NUMERIC),
    ("boolean", WATER, as_json({"time": T, "values": {"ph": True}}), RejectReason.NOT_NUMERIC),
    ("NaN", WATER, b'{"time": "2026-11-27T09:00:00+08:00", "values": {"ph": NaN}}', RejectReason.NOT_FINITE),
    ("infinity", WATER, b'{"time": "2026-11-27T09:00:00+08:00", "values": {"ph": -Infinity}}', RejectReason.NOT_FINITE),
    ("out of range", WATER, as_json({"time": T, "values": {"ph": 14.01}}), RejectReason.OUT_OF_RANGE),
    ("bad flag", WATER, as_json({"time": T, "values": {"ph": 7}, "flags": {"ph": "X"}}), RejectReason.BAD_FLAG),
    ("empty values", WATER, as_json({"time": T, "values": {}}), RejectReason.BAD_SHAPE),
    ("hj212 crc", FRAME_TOPIC, _frame()[:-6] + b"0000\r\n", "hj212_crc"),
    ("hj212 framing", FRAME_TOPIC, b"hello", "hj212_framing"),
    ("hj212 unknown MN", FRAME_TOPIC, _frame(mn="3306810000000000000000FF"), RejectReason.HJ212_UNKNOWN_MN),
    (
        "hj212 MN of another station",
        FRAME_TOPIC,
        _frame(mn="330681000000000000000002"),
        RejectReason.HJ212_MN_STATION_MISMATCH,
    ),
    ("hj212 wrong PW", FRAME_TOPIC, _frame(pw="654321"), RejectReason.HJ212_BAD_PASSWORD),
    (
        "hj212 gateway without a PW",
        "envmon/v1/PYJ-ANHUA/hj212",
        _frame(mn="330681000000000000000003"),
        RejectReason.HJ212_NO_PASSWORD,
    ),
    (
        "hj212 unsupported CN",
        FRAME_TOPIC,
        _frame(cn=hj212.Command.EQUIPMENT_STATUS),
        RejectReason.HJ212_UNSUPPORTED_COMMAND,
    ),
    ("hj212 missing Avg", FRAME_TOPIC, _frame(values={"w01001": {"Rtd": "7"}}), RejectReason.MISSING_VALUE),
    (
        "hj212 Min above Avg",
        FRAME_TOPIC,
        _frame(values={"w01001": {"Min": "8", "Avg": "7"}}),
        RejectReason.MIN_AVG_MAX_ORDER,
    ),
    (
        "hj212 Max out of range",
        FRAME_TOPIC,
        _frame(values={"w01001": {"Avg": "7", "Max": "15"}}),
        RejectReason.OUT_OF_RANGE,
    ),
    ("hj212 unknown code", FRAME_TOPIC, _frame(values={"w99999": {"Avg": "1"}}), RejectReason.UNKNOWN_PARAMETER),
    ("hj212 future", FRAME_TOPIC, _frame(when=NOW + timedelta(minutes=11)), RejectReason.TIME_IN_FUTURE),
    # bounds at decode
    ("nested too deep", WATER, b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1), RejectReason.TOO_DEEP),
    (
        "batch nested 950 levels",
        WATER,
        b'{"readings": ' + b"[" * 950 + b"]" * 950 + b"}",
        RejectReason.TOO_DEEP,
    ),
    ("underflow", WATER, b'{"time": "2026-11-27T09:00:00+08:00", "values": {"ph": 1e-400}}', "not_representable"),
    # past Decimal's own exponent limit (999999): abs() would raise Overflow (found by the poison campaign)
    (
        "exponent past Decimal's",
        WATER,
        b'{"time": "2026-11-27T09:00:00+08:00", "values": {"ph": 1e1000000}}',
        "not_representable",
    ),
    ("subnormal", WATER, b'{"time": "2026-11-27T09:00:00+08:00", "values": {"ph": 4.9e-324}}', "not_representable"),
    (
        "exponent beyond Decimal",
        WATER,
        b'{"time": "2026-11-27T09:00:00+08:00", "values": {"ph": 1e99999999999999999999}}',
        RejectReason.NOT_REPRESENTABLE,
    ),
    (
        "30 significant digits",
        WATER,
        b'{"time": "2026-11-27T09:00:00+08:00", "values": {"ph": 7.12345678901234567890123456789}}',
        RejectReason.TOO_MANY_DIGITS,
    ),
    ("year 1", WATER, as_json({"time": "0001-01-01T00:00:00+08:00", "values": {"ph": 7}}), "time_too_early"),
    ("1900", WATER, as_json({"time": "1900-01-01T00:00:00+08:00", "values": {"ph": 7}}), "time_too_early"),
    ("year 9999", WATER, as_json({"time": "9999-12-31T23:59:59-12:00", "values": {"ph": 7}}), "time_in_future"),
    ("leap second", WATER, as_json({"time": "2016-12-31T23:59:60+08:00", "values": {"ph": 7}}), "bad_time"),
    ("non-ASCII digits", WATER, as_json({"time": "２０２６-11-27T09:00:00+08:00", "values": {"ph": 7}}), "bad_time"),
    (
        "too many values",
        WATER,
        as_json({"time": T, "values": {f"p{i}": 1 for i in range(101)}}),
        RejectReason.TOO_MANY_VALUES,
    ),
    ("hj212 1900", FRAME_TOPIC, _frame(when=datetime(1900, 1, 1, tzinfo=BEIJING_TIME)), "time_too_early"),
    (
        "hj212 400 zeros",
        FRAME_TOPIC,
        _frame(values={"w01001": {"Avg": "0." + "0" * 400 + "1"}}),
        RejectReason.NOT_REPRESENTABLE,
    ),
    (
        "hj212 30 digits",
        FRAME_TOPIC,
        _frame(values={"w01001": {"Avg": "7.12345678901234567890123456789"}}),
        RejectReason.TOO_MANY_DIGITS,
    ),
]


@pytest.mark.parametrize(
    ("topic", "payload", "reason"), [case[1:] for case in REJECTS], ids=[case[0] for case in REJECTS]
)
def test_each_reject_reason(topic: str, payload: bytes, reason: str) -> None:
    # A registry of its own: a wrong PW holds back new PW checks of its MN for a moment (by design).
    registry = replace(REGISTRY, verified_passwords=VerifiedPasswords())
    decoded = decode(_message(topic, payload), registry, NOW, LIMITS)
    assert decoded.readings == ()
    assert [r.reason for r in decoded.rejects] == [reason]
    assert all(len(r.detail) < 400 for r in decoded.rejects)


def test_numbers_that_binary64_holds_are_stored_as_sent() -> None:
    texts = ["0", "-0", "0e-9999", "7.35", "0.30000000000000004", "2.2250738585072014e-308", "1.00000000000000000000"]
    payload = b'{"readings": [%s]}' % b", ".join(
        b'{"time": "2026-11-27T0%d:00:00+08:00", "values": {"temp": %s}}' % (i, text.encode())
        for i, text in enumerate(texts)
    )
    limits = DecodeLimits(4096, len(texts), timedelta(minutes=10), EARLIEST)
    decoded = decode(_message(WATER, payload), REGISTRY, NOW, limits)
    assert [str(r.value) for r in decoded.readings] == [
        "0", "-0", "0E-9999", "7.35", "0.30000000000000004", "2.2250738585072014E-308", "1.00000000000000000000"
    ]  # fmt: skip


def test_a_commissioning_date_is_the_stations_earliest_time() -> None:
    registry = RegistrySnapshot(
        REGISTRY.station_kinds, REGISTRY.bindings, REGISTRY.mns, commissioned={"PYJ-JINHUA": date(2020, 6, 1)}
    )
    before = as_json({"time": "2020-05-31T23:59:59+08:00", "values": {"ph": 7}})
    on_the_day = as_json({"time": "2020-06-01T00:00:00+08:00", "values": {"ph": 7}})
    assert [r.reason for r in decode(_message(WATER, before), registry, NOW, LIMITS).rejects] == ["time_too_early"]
    assert decode(_message(WATER, on_the_day), registry, NOW, LIMITS).readings
    frame = _frame(when=datetime(2019, 1, 1, tzinfo=BEIJING_TIME))
    assert [r.reason for r in decode(_message(FRAME_TOPIC, frame), registry, NOW, LIMITS).rejects] == ["time_too_early"]


def test_gateway_property_must_be_bound_to_the_station() -> None:
    payload = as_json({"time": T, "values": {"ph": 7}})
    assert decode(_message(WATER, payload, "gw-pyj-jinhua"), REGISTRY, NOW, LIMITS).readings
    refused = decode(_message(WATER, payload, "gw-air-keqiao"), REGISTRY, NOW, LIMITS)
    assert [r.reason for r in refused.rejects] == [RejectReason.GATEWAY_NOT_BOUND]


def test_realtime_frame_stores_rtd_with_its_own_flag() -> None:
    payload = _frame(
        cn=hj212.Command.REALTIME_DATA, values={"w01001": {"Rtd": "7.25", "Flag": "D"}, "w01009": {"Rtd": "8"}}
    )
    decoded = decode(_message(FRAME_TOPIC, payload), REGISTRY, NOW, LIMITS)
    assert [(r.parameter, str(r.value), r.flag) for r in decoded.readings] == [("ph", "7.25", "D"), ("do", "8", "N")]
    assert decoded.replies and decoded.replies[0].topic == "envmon/v1/PYJ-JINHUA/hj212/reply"


def test_a_verified_password_is_remembered_and_a_changed_hash_checked_afresh() -> None:
    registry = RegistrySnapshot(REGISTRY.station_kinds, REGISTRY.bindings, dict(REGISTRY.mns))
    mn = "330681000000000000000001"
    assert registry.password_verdict(mn, PW) is PasswordVerdict.MATCH
    assert registry.password_verdict(mn, "654321") is PasswordVerdict.MISMATCH
    assert registry.verified_passwords.remembered == {(mn, PW, PW_HASH)}
    registry.mns[mn] = Hj212Device(
        mn, "gw-pyj-jinhua", "PYJ-JINHUA", "water", hash_password("new-pw", iterations=1000), accept_modbus_crc=False
    )
    assert registry.password_verdict(mn, PW) is PasswordVerdict.MISMATCH


def test_platform_outputs_are_skipped() -> None:
    assert decode(_message("envmon/v1/PYJ-JINHUA/rejects", b"x"), REGISTRY, NOW, LIMITS).skipped


@settings(max_examples=10_000, deadline=None)
@given(payload=any_documents, frame=st.booleans())
def test_arbitrary_payloads_never_raise_and_every_refusal_has_a_reason(payload: bytes, frame: bool) -> None:
    decoded = decode(_message(FRAME_TOPIC if frame else WATER, payload), REGISTRY, NOW, LIMITS)
    assert all(isinstance(r, Reading) and r.parameter in {"ph", "do", "tp"} for r in decoded.readings)
    assert decoded.readings or decoded.rejects
    assert all(r.reason and r.detail for r in decoded.rejects)


@settings(max_examples=500, deadline=None)
@given(payload=bad_documents)
def test_bad_documents_hold_no_storable_reading(payload: bytes) -> None:
    decoded = decode(_message(WATER, payload), REGISTRY, NOW, LIMITS)
    assert decoded.readings == ()
    assert decoded.rejects and all(r.reason and r.detail for r in decoded.rejects)
