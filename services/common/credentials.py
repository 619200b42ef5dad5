"""Password hashes in Mosquitto's own PBKDF2-SHA512 format (``$7$iterations$salt$hash``).

Storing gateway credentials in the broker's format lets ``envmon mosquitto-config`` write
the password file straight from the registry, without anyone knowing the passwords, and
lets the services verify the same hashes (e.g. an HJ 212 logger's PW).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from enum import StrEnum
from typing import TypeVar

HASH_PREFIX = "$7$"
ITERATIONS = 10_000  # Mosquitto reads the count from the hash; it checks once per CONNECT
SALT_BYTES = 12
FIRST_BACKOFF_SECONDS = 1.0
# Short enough that a logger whose PW was just corrected is heard at its next resend.
MAX_BACKOFF_SECONDS = 10.0
FAILURES_REMEMBERED = 4096

K = TypeVar("K")
V = TypeVar("V")


def hash_password(password: str, *, iterations: int = ITERATIONS, salt: bytes | None = None) -> str:
    salt = salt if salt is not None else os.urandom(SALT_BYTES)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, iterations)
    return f"{HASH_PREFIX}{iterations}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        prefix, iterations, salt, digest = stored.rsplit("$", 3)
        if f"{prefix}$" != HASH_PREFIX:
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.pbkdf2_hmac("sha512", password.encode(), base64.b64decode(salt), int(iterations))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(expected, actual)


class PasswordVerdict(StrEnum):
    MATCH = "match"
    MISMATCH = "mismatch"
    # Not checked: this caller failed a check against this hash moments ago (see VerifiedPasswords).
    THROTTLED = "throttled"


class VerifiedPasswords:
    """Password checks that cost one PBKDF2 derivation per password, not one per attempt.

    PBKDF2 is slow on purpose, and an HJ 212 logger repeats its PW in every frame, so:

    - a (who, password, stored hash) that verified is remembered, and answers at once;
    - a failed one is remembered too (as a keyed digest, never the password; the newest
      ``failures_remembered``), so a logger repeating a wrong PW costs one derivation, not one per frame;
    - after a failure, ``who`` gets no new derivation against that hash for ``first_backoff`` seconds,
      doubling on each further failure up to ``max_backoff``: guessing costs the guesser time, not us CPU.
      ``who`` names the caller as narrowly as known (the HJ 212 gateway: MN and peer address).

    The stored hash is part of every key: a password changed in the registry is checked afresh.
    """

    def __init__(
        self,
        *,
        first_backoff: float = FIRST_BACKOFF_SECONDS,
        max_backoff: float = MAX_BACKOFF_SECONDS,
        failures_remembered: int = FAILURES_REMEMBERED,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._first_backoff = first_backoff
        self._max_backoff = max_backoff
        self._failures_remembered = failures_remembered
        self._clock = clock
        self._digest_key = os.urandom(16)
        self._lock = threading.Lock()  # the gateway checks from several threads at once
        self._verified: set[tuple[str, str, str]] = set()
        self._failed: OrderedDict[tuple[str, bytes, str], None] = OrderedDict()
        self._backoff: OrderedDict[tuple[str, str], tuple[float, float]] = OrderedDict()  # → (until, seconds)

    @property
    def remembered(self) -> frozenset[tuple[str, str, str]]:
        return frozenset(self._verified)

    @property
    def failures_held(self) -> int:
        return len(self._failed)

    def matches(self, who: str, password: str, stored: str) -> bool:
        return self.verdict(who, password, stored) is PasswordVerdict.MATCH

    def verdict(self, who: str, password: str, stored: str) -> PasswordVerdict:
        key = (who, password, stored)
        failed = (who, hmac.digest(self._digest_key, password.encode(), "sha256"), stored)
        with self._lock:
            if key in self._verified:
                return PasswordVerdict.MATCH
            if failed in self._failed:
                self._failed.move_to_end(failed)
                return PasswordVerdict.MISMATCH
            until, backoff = self._backoff.get((who, stored), (float("-inf"), 0.0))
            if self._clock() < until:
                return PasswordVerdict.THROTTLED
        if verify_password(password, stored):
            with self._lock:
                self._verified.add(key)
                self._backoff.pop((who, stored), None)
            return PasswordVerdict.MATCH
        with self._lock:
            _remember(self._failed, failed, None, self._failures_remembered)
            backoff = min(max(backoff * 2, self._first_backoff), self._max_backoff)
            _remember(self._backoff, (who, stored), (self._clock() + backoff, backoff), self._failures_remembered)
        return PasswordVerdict.MISMATCH


def _remember(memory: OrderedDict[K, V], key: K, value: V, limit: int) -> None:
    memory[key] = value
    memory.move_to_end(key)
    while len(memory) > limit:
        memory.popitem(last=False)
