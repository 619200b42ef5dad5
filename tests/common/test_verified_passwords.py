"""The verified-password cache remembers successes only, keyed by the stored hash."""

from __future__ import annotations

from services.common.credentials import VerifiedPasswords, hash_password


def test_successes_are_remembered_failures_are_not_and_a_new_hash_is_checked_afresh() -> None:
    stored = hash_password("123456", iterations=1_000)
    verified = VerifiedPasswords()
    assert not verified.matches("mn-1", "654321", stored)
    assert verified.matches("mn-1", "123456", stored)
    assert verified.remembered == {("mn-1", "123456", stored)}
    changed = hash_password("new-pw", iterations=1_000)
    assert not verified.matches("mn-1", "123456", changed)
    assert verified.remembered == {("mn-1", "123456", stored)}
