"""Station programmes: what each station measures, how often, and since when (docs/programmes.md).

Revision ID: 0005_station_programmes
Revises: 0004_alerts_ytd_validity
Create Date: 2026-12-03

One row per station, parameter and period of validity. ``valid_to`` is exclusive (the day the next
period starts); the exclusion constraint keeps a series to one period per day. The interval divides
a day, so report times lie on a grid anchored at Beijing midnight.
"""

from __future__ import annotations

from alembic import op

revision = "0005_station_programmes"
down_revision = "0004_alerts_ytd_validity"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("create extension if not exists btree_gist")
    op.execute("""
        create table station_programmes (
            station varchar(64) not null references stations (code) on delete cascade,
            parameter varchar(32) not null,
            interval interval not null constraint station_programmes_interval check (
                interval between interval '1 minute' and interval '1 day'
                and mod(extract(epoch from interval '1 day')::numeric, extract(epoch from interval)::numeric) = 0
            ),
            valid_from date not null,
            valid_to date constraint station_programmes_period check (valid_to is null or valid_to > valid_from),
            primary key (station, parameter, valid_from),
            constraint station_programmes_one_period_a_day
                exclude using gist (station with =, parameter with =, daterange(valid_from, valid_to) with &&)
        )
    """)


def downgrade() -> None:
    op.execute("drop table if exists station_programmes")
