"""Alerts: forget the alerts stored as resolved that only ever were pending.

Revision ID: 0022_forget_pending_only_alerts
Revises: 0021_water_period_class_basis
Create Date: 2026-12-03

An alert that clears while pending is no longer kept (services/alerts/rules/lifecycle.py, like Prometheus);
this removes the ones earlier versions stored as "resolved": never fired and never queued for Alertmanager.
Their history goes with them (on delete cascade). Irreversible: the downgrade leaves them gone.
"""

from __future__ import annotations

from alembic import op

revision = "0022_forget_pending_only_alerts"
down_revision = "0021_water_period_class_basis"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        delete from alert_states s
        where s.state = 'resolved' and s.fired_at is null
          and not exists (select from alert_outbox o where o.fingerprint = s.fingerprint)
    """)


def downgrade() -> None:
    pass  # deleted rows recorded nothing that was ever sent
