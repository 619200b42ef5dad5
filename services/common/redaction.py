"""Masks secrets in payloads before they are stored (``rejected_messages.payload``) or logged.

- HJ 212: the ``PW=`` field of every frame in the bytes (a refused frame is still a login attempt).
- JSON: the string value of every key that looks like a credential (password, passwd, pwd, pw,
  secret, token, api key), at any depth.

The rest of the payload is kept byte for byte, so a stored reject stays readable and, but for the
secret, replayable. (An HJ 212 frame's CRC no longer matches once its PW is masked.)
"""

from __future__ import annotations

import re

MASK = b"******"

_HJ212_PASSWORD = re.compile(rb"(?<![0-9A-Za-z_-])PW=[^;&\r\n]*")
_JSON_SECRET = re.compile(
    rb'("[^"\\]*(?:pass|pwd|pw|secret|token|api[_-]?key)[^"\\]*"\s*:\s*)"[^"\\]*(?:\\.[^"\\]*)*"', re.IGNORECASE
)


def redact(payload: bytes) -> bytes:
    if b"PW=" in payload:
        payload = _HJ212_PASSWORD.sub(b"PW=" + MASK, payload)
    return _JSON_SECRET.sub(rb'\1"' + MASK + b'"', payload)


def redact_text(text: str) -> str:
    """:func:`redact` for text (log lines, reject details)."""
    return redact(text.encode("utf-8", "surrogateescape")).decode("utf-8", "surrogateescape")
