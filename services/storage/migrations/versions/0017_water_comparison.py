"""Alerts: paired comparison of two sources at a boundary section, per indicator and month (比对).

Revision ID: 0017_water_comparison
Revises: 0016_month_confirmations
Create Date: 2026-12-03

One row per section, month, indicator and pair of sources (a station and its tier: automatic,
joint-manual or manual): the paired days, both paired means, their difference, the relative deviation,
the tolerance and whether the two agree (null where no tolerance is set). ``parties`` names the parties
behind the two sources, so an alert reaches both. The publication columns as on every figure table.
"""

from __future__ import annotations

from alembic import op

revision = "0017_water_comparison"
down_revision = "0016_month_confirmations"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        create table water_comparison (
            section varchar(64) not null,
            period varchar(7) not null,
            parameter varchar(32) not null,
            first_station varchar(64) not null,
            first_tier varchar(16) not null,
            second_station varchar(64) not null,
            second_tier varchar(16) not null,
            as_of date not null,
            paired_days integer not null constraint water_comparison_paired_days check (paired_days > 0),
            first_mean numeric not null,
            second_mean numeric not null,
            difference numeric not null,
            relative_deviation numeric,
            allowed numeric,
            tolerance text,
            agrees boolean,
            parties text[] not null default '{}',
            published_at timestamptz,
            revision integer not null default 0,
            revised_at timestamptz,
            computed_at timestamptz not null default now(),
            primary key (section, period, parameter, first_station, first_tier, second_station, second_tier),
            constraint water_comparison_tiers check (
                first_tier in ('automatic', 'joint-manual', 'manual')
                and second_tier in ('automatic', 'joint-manual', 'manual')
            )
        )
    """)


def downgrade() -> None:
    op.execute("drop table water_comparison")
