"""Which failures are retried as the database's, and which are bisected as one message's."""

from __future__ import annotations

import psycopg
import pytest
from psycopg import errors

from services.ingest.failures import describe, is_transient, refusal_reason

TRANSIENT = [
    psycopg.OperationalError("connection to server failed"),  # no SQLSTATE: the server never answered
    psycopg.InterfaceError("the connection is closed"),
    errors.lookup("08006")("connection failure"),
    errors.lookup("57P01")("terminating connection due to administrator command"),
    errors.lookup("57014")("canceling statement due to statement timeout"),
    errors.lookup("40P01")("deadlock detected"),
    errors.lookup("53100")("could not extend file: No space left on device"),
    errors.lookup("55P03")("could not obtain lock"),
]
ONE_MESSAGES = [
    errors.lookup("22003")("value out of range: underflow"),
    errors.lookup("22021")("invalid byte sequence for encoding UTF8: 0x00"),
    errors.lookup("23514")("new row violates check constraint"),
    errors.lookup("54000")("index row size exceeds maximum"),
    OverflowError("date value out of range"),
    RecursionError("maximum recursion depth exceeded"),
]


@pytest.mark.parametrize("error", TRANSIENT, ids=lambda e: type(e).__name__)
def test_transient_failures_are_retried(error: Exception) -> None:
    assert is_transient(error)


@pytest.mark.parametrize("error", ONE_MESSAGES, ids=lambda e: type(e).__name__)
def test_other_failures_are_one_messages(error: Exception) -> None:
    assert not is_transient(error)


def test_a_refusal_names_the_sqlstate_or_the_exception() -> None:
    underflow = errors.lookup("22003")("value out of range: underflow\nCONTEXT: COPY readings, line 1")
    assert describe(underflow) == "SQLSTATE 22003: value out of range: underflow"
    assert refusal_reason(underflow) == "database_refused"
    assert describe(OverflowError("date value out of range")) == "OverflowError: date value out of range"
    assert refusal_reason(OverflowError()) == "internal_error"
    assert len(describe(ValueError("x" * 10_000))) <= 300
