"""Principals (users with passwords, API keys), OAuth2 bearer tokens, and their lookup."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Row, delete, insert, select

from services.common.credentials import hash_password, verify_password
from services.compensation.access import Principal, Role
from services.compensation.tables import principals, tokens

TOKEN_BYTES = 32


def _sha256(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _principal(row: Row[Any, Any, Any]) -> Principal:
    return Principal(str(row[0]), Role(row[1]), frozenset(row[2]))


def create_user(connection: Connection, name: str, password: str, role: Role, parties: Iterable[str] = ()) -> None:
    connection.execute(
        insert(principals).values(
            name=name, kind="user", secret_hash=hash_password(password), role=role.value, parties=sorted(parties)
        )
    )


def create_api_key(
    connection: Connection, name: str, role: Role, parties: Iterable[str] = (), key: str | None = None
) -> str:
    """Store only the key's SHA-256 (keys are long random strings, so no slow hash is needed)."""
    key = key or secrets.token_urlsafe(TOKEN_BYTES)
    connection.execute(
        insert(principals).values(
            name=name, kind="api_key", secret_hash=_sha256(key), role=role.value, parties=sorted(parties)
        )
    )
    return key


def by_api_key(connection: Connection, key: str) -> Principal | None:
    row = connection.execute(
        select(principals.c.name, principals.c.role, principals.c.parties).where(
            principals.c.kind == "api_key", principals.c.secret_hash == _sha256(key), principals.c.enabled
        )
    ).first()
    return _principal(row) if row else None


def issue_token(connection: Connection, name: str, password: str, minutes: int) -> str | None:
    row = connection.execute(
        select(principals.c.secret_hash).where(
            principals.c.name == name, principals.c.kind == "user", principals.c.enabled
        )
    ).first()
    if row is None or not verify_password(password, row[0]):
        return None
    token = secrets.token_urlsafe(TOKEN_BYTES)
    now = datetime.now(UTC)
    connection.execute(delete(tokens).where(tokens.c.expires_at < now))
    connection.execute(
        insert(tokens).values(token_sha256=_sha256(token), principal=name, expires_at=now + timedelta(minutes=minutes))
    )
    return token


def by_token(connection: Connection, token: str) -> Principal | None:
    row = connection.execute(
        select(principals.c.name, principals.c.role, principals.c.parties)
        .join(tokens, tokens.c.principal == principals.c.name)
        .where(tokens.c.token_sha256 == _sha256(token), tokens.c.expires_at > datetime.now(UTC), principals.c.enabled)
    ).first()
    return _principal(row) if row else None


def exists(connection: Connection, name: str) -> bool:
    return connection.execute(select(principals.c.name).where(principals.c.name == name)).first() is not None


def has_admin(connection: Connection) -> bool:
    return (
        connection.execute(select(principals.c.name).where(principals.c.role == Role.ADMIN.value)).first() is not None
    )
