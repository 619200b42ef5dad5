"""Nesting measured on raw bytes before parsing, and numbers routed to the binary64 checks."""

from __future__ import annotations

import json
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from services.ingest.json_limits import (
    MAX_DEPTH,
    CheckedNumber,
    UnstorableNumber,
    json_number,
    nesting_depth,
    too_deep,
)

nested_json = st.recursive(
    st.none() | st.integers() | st.text(alphabet='[]{}"\\ab', max_size=6),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text('[]{}"a', max_size=3), children),
    max_leaves=30,
)


def depth_of(value: object) -> int:
    if isinstance(value, list):
        return 1 + max((depth_of(item) for item in value), default=0)
    if isinstance(value, dict):
        return 1 + max((depth_of(item) for item in value.values()), default=0)
    return 0


@settings(max_examples=500, deadline=None)
@given(nested_json, st.sampled_from(["utf-8", "compact"]))
def test_depth_from_the_bytes_is_the_parsed_depth(value: object, style: str) -> None:
    text = json.dumps(value, ensure_ascii=False) if style == "utf-8" else json.dumps(value, separators=(",", ":"))
    assert nesting_depth(text.encode()) == depth_of(value)


def test_brackets_in_strings_and_escapes_do_not_count() -> None:
    assert nesting_depth(b'{"a\\"]]]": "[[[[", "b": ["]\\\\", "{"]}') == 2
    assert nesting_depth(b'["", "", ""]') == 1


def test_the_limit() -> None:
    at_limit = b"[" * MAX_DEPTH + b"]" * MAX_DEPTH
    assert not too_deep(at_limit)
    assert too_deep(b"[" + at_limit + b"]")
    assert too_deep(b"[" * 100_000)  # unbalanced and deep: refused before the parser sees it
    wide = json.dumps({"readings": [{"time": "t", "values": {"ph": 7}}] * 1000}).encode()
    assert not too_deep(wide)  # 2,000 openers, but only 4 levels


def test_numbers() -> None:
    assert type(json_number("7.35")) is Decimal
    assert type(json_number("-1234567890123456")) is Decimal
    assert type(json_number("1e-400")) is CheckedNumber
    assert type(json_number("0.123456789012345678")) is CheckedNumber
    assert json_number("1e99999999999999999999") == UnstorableNumber("1e99999999999999999999")
