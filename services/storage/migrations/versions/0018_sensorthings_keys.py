"""SensorThings: partner API keys (SHA-256 only), each belonging to one party.

Revision ID: 0018_sensorthings_keys
Revises: 0017_water_comparison
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

revision = "0018_sensorthings_keys"
down_revision = "0017_water_comparison"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        create table sensorthings_api_keys (
            name varchar(64) primary key,
            party varchar(32) not null references parties (code),
            key_sha256 varchar(64) not null unique,
            enabled boolean not null default true,
            created_at timestamptz not null default now()
        )
    """)


def downgrade() -> None:
    op.execute("drop table sensorthings_api_keys")
