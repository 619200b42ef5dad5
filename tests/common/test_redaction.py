"""Secrets are masked before a payload is stored or logged; everything else is kept byte for byte."""

from __future__ import annotations

from services.common.redaction import redact, redact_text

FRAME = (
    b"##0101QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&1C80"
    b"\r\n"
)


def test_hj212_pw_is_masked_wherever_it_stands() -> None:
    assert redact(FRAME) == FRAME.replace(b"PW=100000", b"PW=******")
    assert redact(b"ST=21;PW=;MN=1") == b"ST=21;PW=******;MN=1"
    assert redact(b"junk PW=abc&&") == b"junk PW=******&&"
    assert redact(b"QN=1;XPW=abc;CP=&&w01001-Rtd=7&&") == b"QN=1;XPW=abc;CP=&&w01001-Rtd=7&&"  # not a PW field


def test_json_credentials_are_masked_at_any_depth() -> None:
    payload = b'{"time": "t", "auth": {"Password": "s3\\"cr", "api_key": "k", "token": "t", "n": 2}, "pw": "1"}'
    assert redact(payload) == (
        b'{"time": "t", "auth": {"Password": "******", "api_key": "******", "token": "******", "n": 2}, "pw": "******"}'
    )
    reading = b'{"time": "2026-11-27T09:00:00+08:00", "values": {"ph": 7.35}}'
    assert redact(reading) == reading


def test_text() -> None:
    assert redact_text("frame QN=1;PW=123456;MN=2 refused") == "frame QN=1;PW=******;MN=2 refused"
