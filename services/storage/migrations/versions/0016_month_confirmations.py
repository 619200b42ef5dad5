"""Compensation: joint monthly confirmation of a boundary section's data (数据互认).

Revision ID: 0016_month_confirmations
Revises: 0015_water_share_rule
Create Date: 2026-12-03

A revision of a section's month stores the SHA-256 of the month's rows when it was opened and the parties
that must confirm it; each party's
confirmation names the revision it confirmed. Data that changes after a confirmation opens the next
revision, which every party confirms again. Rows are only ever inserted.
"""

from __future__ import annotations

from alembic import op

revision = "0016_month_confirmations"
down_revision = "0015_water_share_rule"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        create table compensation_month_revisions (
            section varchar(64) not null,
            month varchar(7) not null constraint compensation_month_revisions_month
                check (month ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
            revision integer not null constraint compensation_month_revisions_revision check (revision > 0),
            readings_sha256 char(64) not null,
            required text[] not null,
            opened_by text not null,
            opened_at timestamptz not null default now(),
            reason text not null,
            primary key (section, month, revision)
        )
    """)
    op.execute("""
        create table compensation_month_confirmations (
            section varchar(64) not null,
            month varchar(7) not null,
            revision integer not null,
            party varchar(32) not null references parties (code),
            confirmed_by text not null,
            confirmed_at timestamptz not null default now(),
            comment text,
            primary key (section, month, revision, party),
            foreign key (section, month, revision) references compensation_month_revisions (section, month, revision)
        )
    """)


def downgrade() -> None:
    op.execute("drop table compensation_month_confirmations")
    op.execute("drop table compensation_month_revisions")
