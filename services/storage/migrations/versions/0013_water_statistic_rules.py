"""Alerts: water daily values per source tier, and the statistics rule behind every water period figure.

Revision ID: 0013_water_statistic_rules
Revises: 0012_parties
Create Date: 2026-12-03

``water_daily`` gains the source ``tier`` (automatic, joint-manual, manual) in its key, the exact
``total`` of the day's valid values and the values the station programme ``expected`` that day, so
period values follow the rule of their source (docs/standards.md, water period statistics).
Its rows, made from all sources together, are removed and their days queued for recomputation: the
alerts service rebuilds them on its next cycle. ``water_period`` gains ``statistic_rule`` and
``item_statistics``; rows computed before stay NULL there (they were means of daily means of all
sources) until recomputed, and a recomputed published row that changes is a recorded revision.
"""

from __future__ import annotations

from alembic import op

revision = "0013_water_statistic_rules"
down_revision = "0012_parties"
branch_labels = None
depends_on = None


def _requeue_water_days() -> None:
    """Empty water_daily and queue its days: the alerts service rebuilds them in the new form."""
    op.execute("""
        insert into recompute_queue (station, day)
        select distinct section, day from water_daily
        on conflict (station, day) do update set modified_at = now()
    """)
    op.execute("delete from water_daily")


def upgrade() -> None:
    _requeue_water_days()
    op.execute("""
        alter table water_daily
            add column tier varchar(16) not null,
            add column total numeric not null,
            add column expected integer,
            add constraint water_daily_tier check (tier in ('automatic', 'joint-manual', 'manual')),
            drop constraint water_daily_pkey,
            add primary key (section, day, parameter, tier)
    """)
    op.execute("alter table water_period add column statistic_rule text, add column item_statistics jsonb")


def downgrade() -> None:
    op.execute("alter table water_period drop column statistic_rule, drop column item_statistics")
    _requeue_water_days()
    op.execute("""
        alter table water_daily
            drop constraint water_daily_pkey,
            drop constraint water_daily_tier,
            drop column tier, drop column total, drop column expected,
            add primary key (section, day, parameter)
    """)
