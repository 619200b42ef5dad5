"""Password hashes are Mosquitto-compatible and verify only the right password."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.common.credentials import hash_password, verify_password


@settings(max_examples=25, deadline=None)
@given(st.text(min_size=1, max_size=40))
def test_a_hash_verifies_its_own_password_only(password: str) -> None:
    stored = hash_password(password, iterations=1_000)
    assert verify_password(password, stored)
    assert not verify_password(password + "x", stored)


@pytest.mark.parametrize("stored", ["", "plain", "$6$1$abc$def", "$7$notanumber$AAAA$AAAA", "$7$10$***$***"])
def test_malformed_hashes_never_verify(stored: str) -> None:
    assert not verify_password("secret", stored)
