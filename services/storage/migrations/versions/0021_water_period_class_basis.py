"""Alerts: each water period row records the class basis it was classed on.

Revision ID: 0021_water_period_class_basis
Revises: 0020_compensation_withdrawals
Create Date: 2026-12-03

``water_period.class_basis`` is ``published`` or ``exact`` (``ENVMON_ALERTS_WATER_CLASS_BASIS``,
docs/standards.md); NULL on rows computed before it was recorded. At start the alerts service queues every
period whose basis differs from its setting (NULL included), so a changed setting restates the past too.
"""

from __future__ import annotations

from alembic import op

revision = "0021_water_period_class_basis"
down_revision = "0020_compensation_withdrawals"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        alter table water_period add column class_basis text
            constraint water_period_class_basis check (class_basis in ('published', 'exact'))
    """)


def downgrade() -> None:
    op.execute("alter table water_period drop column class_basis")
