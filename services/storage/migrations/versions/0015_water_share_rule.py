"""Alerts: the Class Ⅰ–Ⅲ share names the statistics rule of the section classes it counts.

Revision ID: 0015_water_share_rule
Revises: 0014_reading_corrections
Create Date: 2026-12-03

``water_share.statistic_rule`` is the one rule of the counted sections' period values
(``daily-values-2020``, ``sample-mean-2011``) or ``mixed``; NULL on rows computed before this revision.
"""

from __future__ import annotations

from alembic import op

revision = "0015_water_share_rule"
down_revision = "0014_reading_corrections"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("alter table water_share add column statistic_rule text")


def downgrade() -> None:
    op.execute("alter table water_share drop column statistic_rule")
