"""Password checks: successes and failures remembered per stored hash, fresh derivations throttled after a failure."""

from __future__ import annotations

from services.common.credentials import PasswordVerdict, VerifiedPasswords, hash_password

MATCH, MISMATCH, THROTTLED = PasswordVerdict.MATCH, PasswordVerdict.MISMATCH, PasswordVerdict.THROTTLED


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_successes_are_remembered_and_a_new_hash_is_checked_afresh() -> None:
    stored = hash_password("123456", iterations=1_000)
    verified = VerifiedPasswords()
    assert verified.matches("mn-1", "123456", stored)
    assert verified.remembered == {("mn-1", "123456", stored)}
    changed = hash_password("new-pw", iterations=1_000)
    assert not verified.matches("mn-1", "123456", changed)
    assert verified.remembered == {("mn-1", "123456", stored)}


def test_a_repeated_wrong_password_is_answered_from_memory_and_new_guesses_wait_ever_longer() -> None:
    stored = hash_password("123456", iterations=1_000)
    clock = Clock()
    verified = VerifiedPasswords(first_backoff=1.0, max_backoff=4.0, clock=clock)
    assert verified.verdict("mn-1@10.0.0.9", "654321", stored) is MISMATCH
    # The same wrong PW again: no derivation, still a mismatch (never "throttled"), however soon.
    assert verified.verdict("mn-1@10.0.0.9", "654321", stored) is MISMATCH
    # A new guess from the same caller waits for the backoff; other callers are not held back.
    assert verified.verdict("mn-1@10.0.0.9", "123456", stored) is THROTTLED
    assert verified.verdict("mn-1@10.0.0.7", "123456", stored) is MATCH
    clock.now = 1.0
    assert verified.verdict("mn-1@10.0.0.9", "000000", stored) is MISMATCH  # backoff now 2 s
    clock.now = 2.5
    assert verified.verdict("mn-1@10.0.0.9", "123456", stored) is THROTTLED
    clock.now = 3.0
    assert verified.verdict("mn-1@10.0.0.9", "123456", stored) is MATCH
    # A success clears the backoff; a changed hash is checked afresh, even for a remembered failure.
    changed = hash_password("654321", iterations=1_000)
    assert verified.verdict("mn-1@10.0.0.9", "654321", changed) is MATCH


def test_remembered_failures_are_bounded() -> None:
    stored = hash_password("123456", iterations=1_000)
    verified = VerifiedPasswords(first_backoff=0.0, failures_remembered=2)
    for guess in ("a", "b", "c"):
        assert verified.verdict("mn-1", guess, stored) is MISMATCH
    assert verified.failures_held == 2
