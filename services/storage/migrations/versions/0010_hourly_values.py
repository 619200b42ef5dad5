"""Alerts: the 1-hour value of every air series, computed once per recompute and shared by its consumers.

Revision ID: 0010_hourly_values
Revises: 0009_compensation_monitoring
Create Date: 2026-12-03

One row per station, pollutant and hour holding at least one valid (flag N) reading: the mean of the
hour's valid readings, how many there were, the minutes they cover under the station's programme
interval and whether that meets GB 3095 Table 4's 45 minutes (services/alerts/figures/hourly.py).
A plain table kept up to date by the alerts recompute for the days it recomputes: TimescaleDB's
continuous aggregates are not in the Apache-only build, and the coverage needs window functions,
which continuous aggregates do not allow.
"""

from __future__ import annotations

from alembic import op

revision = "0010_hourly_values"
down_revision = "0009_compensation_monitoring"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        create table hourly_values (
            station varchar(64) not null,
            parameter varchar(32) not null,
            hour timestamptz not null,
            value numeric not null,
            samples integer not null constraint hourly_values_samples check (samples > 0),
            minutes smallint not null constraint hourly_values_minutes check (minutes between 0 and 60),
            valid boolean not null,
            primary key (station, parameter, hour)
        )
    """)
    op.execute("create index hourly_values_hour on hourly_values (hour)")


def downgrade() -> None:
    op.execute("drop table if exists hourly_values")
