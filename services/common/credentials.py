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

HASH_PREFIX = "$7$"
ITERATIONS = 10_000  # Mosquitto reads the count from the hash; it checks once per CONNECT
SALT_BYTES = 12


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


class VerifiedPasswords:
    """Remembers the (who, password, stored hash) combinations that verified.

    PBKDF2 is slow on purpose, and an HJ 212 logger repeats its PW in every frame. The stored hash is
    part of the key, so a password changed in the registry is checked afresh; failures are never
    remembered.
    """

    def __init__(self) -> None:
        self._verified: set[tuple[str, str, str]] = set()

    @property
    def remembered(self) -> frozenset[tuple[str, str, str]]:
        return frozenset(self._verified)

    def matches(self, who: str, password: str, stored: str) -> bool:
        key = (who, password, stored)
        if key in self._verified:
            return True
        if verify_password(password, stored):
            self._verified.add(key)
            return True
        return False
