"""Log lines follow sys.stderr as it is when they are written."""

from __future__ import annotations

import io
import json

import pytest
import structlog

from services.common.logging import configure_logging


def test_a_replaced_and_closed_stderr_does_not_break_logging(monkeypatch: pytest.MonkeyPatch) -> None:
    first = io.StringIO()
    monkeypatch.setattr("sys.stderr", first)
    configure_logging("INFO")
    log = structlog.get_logger("test")
    log.info("first")
    first.close()
    second = io.StringIO()
    monkeypatch.setattr("sys.stderr", second)
    log.info("second", station="PYJ-JINHUA")
    line = json.loads(second.getvalue().splitlines()[-1])
    assert (line["event"], line["station"], line["level"]) == ("second", "PYJ-JINHUA", "info")
