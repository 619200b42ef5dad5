"""Alerts: every alert state belongs to a period (``2026``, ``2026-11``, ``2026-12-02`` or ``current``).

Revision ID: 0007_alert_periods
Revises: 0006_compensation_in_force
Create Date: 2026-12-03

The fingerprint becomes (rule, subject, period), so this year's and last month's alerts of one
subject are separate alerts. States written before this revision get the empty period, which no
rule evaluates: the first cycle after the upgrade resolves them (and tells Alertmanager).
"""

from __future__ import annotations

from alembic import op

revision = "0007_alert_periods"
down_revision = "0006_compensation_in_force"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("alter table alert_states add column period varchar(16) not null default ''")


def downgrade() -> None:
    op.execute("alter table alert_states drop column period")
