"""Checks on raw JSON before it is parsed, and the number hook the parser calls.

- Nesting: a reading document is at most 4 levels deep (``{"readings": [{"values": {…}}]}``).
  Anything deeper than ``MAX_DEPTH`` is refused before a recursive parser, encoder or ``repr`` ever
  sees it (CPython's JSON scanner and encoder recurse once per level; near the interpreter's
  recursion limit they raise RecursionError wherever the stack happens to be).
  The depth is measured without parsing: brackets inside strings are dropped, then the depth is
  the largest running sum of ``+1`` per ``[``/``{`` and ``-1`` per ``]``/``}``, all in C. A
  payload with no more openers than the limit cannot be deeper, so one-set messages cost two
  ``bytes.count`` calls.
- Numbers: :func:`json_number` reads every JSON number as an exact Decimal. A short one without
  an exponent (at most 17 characters) is always storable and comes back as a plain Decimal, the
  decoder's fast path; any other comes back as :class:`CheckedNumber` (a Decimal subclass) so the
  decoder checks it for binary64 range and significant digits (services.ingest.values), and an
  exponent too large even for Decimal comes back as :class:`UnstorableNumber`.
"""

from __future__ import annotations

import re
from array import array
from decimal import Decimal, InvalidOperation
from itertools import accumulate

MAX_DEPTH = 16
# A number written in at most this many characters, without an exponent, has at most 17
# significant digits and lies well inside the binary64 normal range.
PLAIN_NUMBER_CHARS = 17

_ESCAPE = re.compile(rb"\\.", re.DOTALL)
_STRING = re.compile(rb'"[^"]*"')
_NOT_STRUCTURE = bytes(byte for byte in range(256) if byte not in b'[]{}"')
_SIGNS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")  # as signed bytes: +1 +1 -1 -1


def nesting_depth(payload: bytes) -> int:
    """How deep the arrays and objects of a JSON text nest (strings ignored); exact for valid JSON."""
    if b"\\" in payload:
        payload = _ESCAPE.sub(b"", payload)
    # Adjacent quotes close one string and open the next (or bound an empty one): removing them
    # never changes what lies outside strings, and leaves only strings that hold brackets.
    skeleton = payload.translate(None, _NOT_STRUCTURE).replace(b'""', b"")
    if b'"' in skeleton:
        skeleton = _STRING.sub(b"", skeleton)
    if not skeleton:
        return 0
    return max(0, max(accumulate(array("b", skeleton.translate(_SIGNS)))))


def too_deep(payload: bytes, limit: int = MAX_DEPTH) -> bool:
    if payload.count(b"[") + payload.count(b"{") <= limit:
        return False
    return nesting_depth(payload) > limit


class CheckedNumber(Decimal):
    """A number long enough, or with an exponent, to need the binary64 checks."""

    __slots__ = ()


class UnstorableNumber(str):
    """The text of a number whose exponent not even Decimal holds."""

    __slots__ = ()


def json_number(text: str) -> Decimal | UnstorableNumber:
    """``parse_float`` and ``parse_int`` of the JSON decoder."""
    if len(text) <= PLAIN_NUMBER_CHARS and "e" not in text and "E" not in text:
        return Decimal(text)
    try:
        return CheckedNumber(text)
    except InvalidOperation:
        return UnstorableNumber(text)
