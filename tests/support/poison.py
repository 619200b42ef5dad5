"""The poison campaign's strategies: gateway messages at the edges where decoders, databases and
brokers break, every one of which must be rejected with a reason (none holds a storable reading).

- numeric edges: subnormals, underflow and overflow exponents, 30-digit decimals, NaN/Infinity,
  integers past every width, values just outside the physical range;
- time edges: year 1 and 9999 with extreme offsets, before the earliest accepted time, 1900, a local
  time that historical Asia/Shanghai DST skipped, leap seconds as text, no offset, non-ASCII digits;
- nesting depths around the decoder's limit (MAX_DEPTH ± 2) and far beyond it (up to ~1,000);
- sizes just over every limit: payload bytes, reading sets per message, values per set, time text,
  a parameter name of 10,000 characters;
- HJ 212 equivalents: the same numbers as factor values, DataTime edges, a data segment over 1,024 bytes.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import strategies as st

from services.common import topics
from services.ingest.decode_json import MAX_TIME_CHARS, MAX_VALUES_PER_SET
from services.ingest.json_limits import MAX_DEPTH
from services.ingest.settings import IngestSettings
from services.standards import hj212
from services.standards.local_time import BEIJING_TIME

STATION = "PYJ-JINHUA"
MN, PW = "330681000000000000000001", "123456"
WATER = topics.data_topic(STATION, "water")
FRAME = topics.hj212_topic(STATION)
PAST = datetime(2026, 11, 27, 9, tzinfo=BEIJING_TIME)
PAST_TEXT = PAST.isoformat()
SETTINGS = IngestSettings()  # the limits as deployed (defaults)

Message = tuple[str, bytes]


def ph_document(literal: str, time: str = PAST_TEXT) -> bytes:
    """One reading set whose ph is ``literal`` exactly as written (no float round trip)."""
    return b'{"time": %s, "values": {"ph": %s}}' % (json.dumps(time).encode(), literal.encode())


# Numbers no binary64 column can hold with their meaning, or a pH (0..14) cannot be.
edge_numbers = st.one_of(
    st.sampled_from(
        [
            "1e-400",
            "4.9e-324",
            "-4.9e-324",
            "2.2250738585072011e-308",
            "1e309",
            "-1e309",
            "1.7976931348623159e308",
            "1e999999999",
            "1E-999999999",
            "NaN",
            "Infinity",
            "-Infinity",
            "14.000000000000001",
            "-0.1",
            "1e+20",
            "9223372036854775808",
        ]
    ),
    st.floats(min_value=5e-324, max_value=2.2e-308).map(repr),  # subnormal: precision already lost
    st.integers(10**28, 10**29 - 1).map(lambda digits: f"7.{digits}1"),  # 31 significant digits
    st.integers(999_990, 1_000_010).map(lambda exponent: f"1e{exponent}"),  # around Decimal's own exponent limit
    st.integers(309, 10**6).map(lambda exponent: f"1e{exponent}"),
    st.integers(325, 10**6).map(lambda exponent: f"1e-{exponent}"),
    st.integers(18, 400).map(lambda width: "9" * width),
)
# Times outside [2000-01-01 Beijing time, now + 10 min], or no valid ISO 8601 time with an offset at all.
edge_times = st.one_of(
    st.sampled_from(
        [
            "0001-01-01T00:00:00+14:00",
            "0001-01-01T00:00:00-12:00",
            "9999-12-31T23:59:59-12:00",
            "9999-12-31T23:59:59+08:00",
            "1900-01-01T08:00:00+08:00",
            "1991-04-14T02:30:00+08:00",  # skipped by Asia/Shanghai's 1991 DST, valid at the fixed +08:00
            "2016-12-31T23:59:60Z",
            "2026-06-30T23:59:60+08:00",
            "2026-11-27T09:00:00",
            "2026-11-27",
            "٢٠٢٦-١١-٢٧T09:00:00+08:00",
            "２０２６-11-27T09:00:00+08:00",
            PAST_TEXT + "0" * (MAX_TIME_CHARS + 1 - len(PAST_TEXT)),
        ]
    ),
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(1999, 12, 31), timezones=st.just(BEIJING_TIME)).map(
        datetime.isoformat
    ),
    st.datetimes(min_value=datetime(2100, 1, 1), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)).map(
        datetime.isoformat
    ),
    st.integers(-12 * 60, 14 * 60).map(
        lambda minutes: datetime(9999, 12, 31, 12, tzinfo=timezone(timedelta(minutes=minutes))).isoformat()
    ),
)
# A ph value nested ``levels`` arrays deep inside the document's two objects, around and beyond the limit.
depths = st.one_of(st.integers(MAX_DEPTH - 4, MAX_DEPTH + 2), st.integers(MAX_DEPTH + 3, 1_000))
nested_values = depths.map(lambda levels: ph_document("[" * levels + "7" + "]" * levels))
nested_batches = st.integers(MAX_DEPTH, 1_000).map(
    lambda levels: b'{"readings": ' + b"[" * levels + ph_document("7") + b"]" * levels + b"}"
)


def frame(values: dict[str, dict[str, str]], data_time: datetime = PAST) -> bytes:
    return hj212.build(
        hj212.data_frame(st=21, cn=hj212.Command.HOURLY_DATA, mn=MN, pw=PW, data_time=data_time, values=values)
    )


def frame_over_length() -> bytes:
    """A well-formed frame (length field and CRC right) whose data segment is one byte over 1,024."""
    head = f"QN=20261127090000000;ST=21;CN=2061;PW={PW};MN={MN};Flag=5;CP=&&DataTime=20261127090000;"
    filler = "w01009-Avg=8".ljust(1025 - len(head) - len("w01001-Avg=7;&&"), "0")
    data = (head + "w01001-Avg=7;" + filler + "&&").encode()
    return b"##%04d%s%04X\r\n" % (len(data), data, hj212.crc16(data))


hj212_numbers = st.one_of(
    st.integers(308, 400).map(lambda zeros: "0." + "0" * zeros + "1"),
    st.integers(10**28, 10**29 - 1).map(lambda digits: f"7.{digits}1"),
    st.integers(15, 300).map(lambda zeros: "1" + "0" * zeros),
    st.just("-1"),
)
hj212_frames = st.one_of(
    hj212_numbers.map(lambda number: frame({"w01001": {"Avg": number}})),
    st.sampled_from(
        [datetime(1900, 1, 1, 8, tzinfo=BEIJING_TIME), datetime(9999, 12, 31, 23, tzinfo=BEIJING_TIME)]
    ).map(lambda moment: frame({"w01001": {"Avg": "7"}}, moment)),
    st.just(frame_over_length()),
)

poison_messages: st.SearchStrategy[Message] = st.one_of(
    edge_numbers.map(lambda number: (WATER, ph_document(number))),
    edge_times.map(lambda time: (WATER, ph_document("7", time))),
    nested_values.map(lambda payload: (WATER, payload)),
    nested_batches.map(lambda payload: (WATER, payload)),
    hj212_frames.map(lambda payload: (FRAME, payload)),
)


def size_edges() -> list[Message]:
    """One message just over each size limit (drawn once: they are large)."""
    limit = SETTINGS.ingest_max_payload_bytes
    padded = b'{"time": "%s", "values": {"ph": 7}, "pad": "' % PAST_TEXT.encode()
    over_bytes = padded + b"x" * (limit + 1 - len(padded) - 2) + b'"}'
    sets = [{"time": PAST_TEXT, "values": {"ph": 7}}] * (SETTINGS.ingest_max_readings_per_message + 1)
    values = {f"p{index}": 7 for index in range(MAX_VALUES_PER_SET + 1)}
    assert len(over_bytes) == limit + 1
    return [
        (WATER, over_bytes),
        (WATER, json.dumps({"readings": sets}).encode()),
        (WATER, json.dumps({"time": PAST_TEXT, "values": values}).encode()),
        (WATER, json.dumps({"time": PAST_TEXT, "values": {"p" * 10_000: 7}}).encode()),
    ]
