"""Rebuilding reassembled frames within the length limit."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from services.hj212_gateway.session import build_within_limit
from services.standards import hj212
from services.standards.hj212 import Command
from services.standards.local_time import BEIJING_TIME

MN = "330681000000000000000001"
HOUR = datetime(2026, 11, 27, 8, tzinfo=BEIJING_TIME)


def frame_with(factors: int) -> hj212.Frame:
    values: dict[str, dict[str, Decimal | str]] = {
        f"w{n:05d}": {"Avg": Decimal("12.345"), "Flag": "N"} for n in range(factors)
    }
    return hj212.data_frame(
        st=21, cn=Command.HOURLY_DATA, mn=MN, pw="123456", data_time=HOUR, values=values, qn="20261127080000000"
    )


@given(st.integers(1, 120))
def test_every_factor_is_forwarded_once_and_every_frame_fits(factors: int) -> None:
    frame = frame_with(factors)
    payloads = build_within_limit(frame)
    parsed = [hj212.parse(raw) for raw in payloads]
    assert all(len(raw) <= hj212.MAX_DATA_LENGTH[1] + 12 for raw in payloads)
    merged = {code: fields for one in parsed for code, fields in one.values.items()}
    assert merged == frame.values
    assert sum(len(one.values) for one in parsed) == factors
    assert {(one.qn, one.data_time, one.mn) for one in parsed} == {(frame.qn, HOUR, MN)}


def test_a_frame_that_fits_is_built_once() -> None:
    assert build_within_limit(frame_with(3)) == [hj212.build(frame_with(3))]
