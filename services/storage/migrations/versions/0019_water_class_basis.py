"""Alerts: water period classes are decided on the values as published; stored periods are recomputed.

Revision ID: 0019_water_class_basis
Revises: 0018_sensorthings_keys
Create Date: 2026-12-03

The alerts service now classes a water period on each item's value as published (rounded once by
GB/T 8170 to its reporting precision; ``ENVMON_ALERTS_WATER_CLASS_BASIS``, docs/standards.md), where it
used the exact mean. A stored class can change at a limit (TP 0.2004 mg/L, published "0.20", is Ⅲ, not
Ⅳ), so the first day of every stored period is queued: the next cycle recomputes each month and its
year, and a published row that changes is a recorded revision. Downgrading queues them again.
"""

from __future__ import annotations

from alembic import op

revision = "0019_water_class_basis"
down_revision = "0018_sensorthings_keys"
branch_labels = None
depends_on = None


def _requeue_water_periods() -> None:
    op.execute("""
        insert into recompute_queue (station, day)
        select distinct section,
               case when length(period) = 7 then to_date(period || '-01', 'YYYY-MM-DD') else to_date(period, 'YYYY') end
        from water_period
        on conflict (station, day) do update set modified_at = now()
    """)


def upgrade() -> None:
    _requeue_water_periods()


def downgrade() -> None:
    _requeue_water_periods()
