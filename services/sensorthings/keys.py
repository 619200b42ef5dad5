"""Partner API keys and what each may see.

A key belongs to one party. It sees the stations that party operates, the boundary sections of the
compensation agreements the party signed (assessment and inbound sections), and every station that
monitors one of those sections (the other side's station there): the data both sides settle on, not
the rest of the network. Keys are long random strings, so their SHA-256 is all that is stored.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import Connection, insert, or_, select, text

from services.sensorthings.tables import api_keys
from services.storage.schema import stations

KEY_BYTES = 32
# The sections of the agreements a party signed, from the compensation service's stored agreement versions (per
# agreement the version in force for its latest periods), read in SQL: services never import one another
# (docs/architecture.md, "Layers"), and the stored documents are canonical JSON.
AGREEMENT_SECTIONS = text("""
    with latest as (
        select distinct on (agreement_id) content::jsonb as document
        from compensation_agreement_versions
        order by agreement_id, effective_from desc, version desc
    )
    select section ->> 'code'
    from latest, jsonb_array_elements(document -> 'sections') as section
    where :party in (document #>> '{parties,upstream,code}', document #>> '{parties,downstream,code}')
""")


@dataclass(frozen=True, slots=True)
class Scope:
    key: str  # the key's name
    party: str
    stations: frozenset[str]


def _sha256(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_key(connection: Connection, name: str, party: str, key: str | None = None) -> str:
    """Store a new key for ``party``; the key itself is returned once and never stored."""
    key = key or secrets.token_urlsafe(KEY_BYTES)
    connection.execute(insert(api_keys).values(name=name, party=party, key_sha256=_sha256(key)))
    return key


def key_exists(connection: Connection, name: str) -> bool:
    return connection.execute(select(api_keys.c.name).where(api_keys.c.name == name)).first() is not None


def party_stations(connection: Connection, party: str) -> frozenset[str]:
    sections = set(connection.execute(AGREEMENT_SECTIONS, {"party": party}).scalars())
    rows = connection.execute(
        select(stations.c.code).where(
            or_(
                stations.c.operator == party,
                stations.c.code.in_(sections),
                stations.c.monitors_section.in_(sections),
            )
        )
    )
    return frozenset(rows.scalars())


def scope_of(connection: Connection, key: str) -> Scope | None:
    """The scope of an enabled key, or None for an unknown or disabled one."""
    row = connection.execute(
        select(api_keys.c.name, api_keys.c.party).where(api_keys.c.key_sha256 == _sha256(key), api_keys.c.enabled)
    ).first()
    if row is None:
        return None
    return Scope(row.name, row.party, party_stations(connection, row.party))
