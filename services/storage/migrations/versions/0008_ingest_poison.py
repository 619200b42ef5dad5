"""Ingest: poison quarantine, per-station earliest reading time, capped reject rows.

Revision ID: 0008_ingest_poison
Revises: 0007_alert_periods
Create Date: 2026-11-28

- ``ingest_suspects``: messages that were in the ingest worker when it died or stalled, by fingerprint
  (sha256 of topic and payload), with how often that happened; kept across restarts so that a message
  that keeps killing the worker is quarantined as ``poison`` instead of looping (docs/ingest.md).
- ``stations.commissioned_on``: readings dated before a station's commissioning are refused (nullable:
  unknown dates fall back to ``ENVMON_INGEST_EARLIEST``).
- ``rejected_messages.occurrences``: one row may stand for several rejects of the same reason in one
  message (rows are capped per message).
"""

from __future__ import annotations

from alembic import op

revision = "0008_ingest_poison"
down_revision = "0007_alert_periods"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        create table ingest_suspects (
            fingerprint bytea primary key,
            topic text not null,
            crashes integer not null check (crashes > 0),
            last_error text not null,
            first_at timestamptz not null default now(),
            last_at timestamptz not null default now()
        )
    """)
    op.execute("alter table stations add column commissioned_on date")
    op.execute(
        "alter table rejected_messages add column occurrences integer not null default 1"
        " constraint rejected_messages_occurrences check (occurrences > 0)"
    )


def downgrade() -> None:
    op.execute("alter table rejected_messages drop column occurrences")
    op.execute("alter table stations drop column commissioned_on")
    op.execute("drop table ingest_suspects")
