"""Canonical JSON: the one byte form of agreements and statement workings, so hashes and ``verify`` compare bytes."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any


def _plain(value: Any) -> str:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"not canonical JSON: {type(value).__name__}")


def canonical_json(document: Any) -> bytes:
    """Sorted keys, no spaces, UTF-8, Decimals as their exact string."""
    return json.dumps(document, default=_plain, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
