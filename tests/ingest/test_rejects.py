"""Rejects replies and rows stay bounded whatever the message, and store only what PostgreSQL can hold."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from services.ingest.messages import InboundMessage, Reject
from services.ingest.rejects import REPLY_DETAILS, ROWS_PER_MESSAGE, clean, reject_rows, rejects_reply

NOW = datetime(2026, 11, 27, tzinfo=UTC)


def _message(topic: str = "envmon/v1/PYJ-JINHUA/water", payload: bytes = b"{}") -> InboundMessage:
    return InboundMessage(0, 1, 1, topic, payload, NOW, 1, correlation_data=b"c")


def test_a_reply_counts_everything_and_lists_the_first_few() -> None:
    rejects = [Reject("out_of_range", "x" * 5000, "PYJ-JINHUA", None, "ph" * 1000, i) for i in range(10_000)]
    rejects.append(Reject("bad_time", "late", "PYJ-JINHUA"))
    reply = rejects_reply(_message(), 3, rejects)
    assert reply is not None and reply.topic == "envmon/v1/PYJ-JINHUA/rejects" and reply.correlation_data == b"c"
    assert len(reply.payload) < 10_000
    body = json.loads(reply.payload)
    assert body["stored"] == 3 and body["rejected"] == 10_001
    assert body["reasons"] == {"out_of_range": 10_000, "bad_time": 1}
    assert len(body["rejects"]) == REPLY_DETAILS and body["rejects"][0]["index"] == 0


def test_no_reply_for_hj212_frames_or_unknown_topics() -> None:
    reject = [Reject("hj212_crc", "bad CRC")]
    assert rejects_reply(_message("envmon/v1/PYJ-JINHUA/hj212"), 0, reject) is None
    assert rejects_reply(_message("somewhere/else"), 0, reject) is None


def test_rows_are_capped_per_message_and_keep_the_count() -> None:
    rejects = [Reject("out_of_range", f"value {i}", "PYJ-JINHUA", index=i, payload=b"set") for i in range(120)]
    rejects += [Reject("bad_time", "late", "PYJ-JINHUA", index=200, payload=b"other set")] * 5
    rows = list(reject_rows(_message(), rejects))
    assert len(rows) == ROWS_PER_MESSAGE + 2
    reasons_and_counts = [(row[4], row[7]) for row in rows]
    assert reasons_and_counts[-2:] == [("out_of_range", 70), ("bad_time", 5)]
    assert sum(count for _, count in reasons_and_counts) == 125


def test_stored_text_is_cut_and_cleaned_and_secrets_masked() -> None:
    assert clean("a\x00b\udc80c", 10) == "a\\x00b\\udc80c"
    assert clean("水" * 100, 5) == "水" * 5
    frame = b"##0040QN=1;ST=21;CN=2011;PW=123456;MN=1;Flag=4;CP=&&&&0000\r\n"
    [row] = reject_rows(
        _message("envmon/v1/PYJ-JINHUA/hj212", frame), [Reject("hj212_crc", "PW=123456 wrong", "S" * 100, "g" * 100)]
    )
    assert b"123456" not in row[6] and "123456" not in row[5]
    assert row[2] == "g" * 64 and row[3] == "S" * 64
