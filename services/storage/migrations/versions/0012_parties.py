"""Parties own stations: who operates each station and runs each gateway, and partner stations at a section.

Revision ID: 0012_parties
Revises: 0011_air_forecasts
Create Date: 2026-12-03

``parties`` holds the one list of party codes (``registry/parties.yaml``). ``stations.operator`` and
``gateways.party`` stay nullable so existing rows survive the upgrade; ``envmon db seed`` fills them.
``stations.monitors_section`` marks another party's station at a section: a second source there.
"""

from __future__ import annotations

from alembic import op

revision = "0012_parties"
down_revision = "0011_air_forecasts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        create table parties (
            code varchar(32) primary key,
            name text not null,
            city text not null,
            level varchar(8) not null constraint parties_level check (level in ('province', 'city', 'district'))
        )
    """)
    op.execute("alter table stations add column operator varchar(32) references parties (code)")
    op.execute("alter table stations add column monitors_section varchar(64) references stations (code)")
    op.execute("alter table gateways add column party varchar(32) references parties (code)")


def downgrade() -> None:
    op.execute("alter table gateways drop column party")
    op.execute("alter table stations drop column monitors_section")
    op.execute("alter table stations drop column operator")
    op.execute("drop table parties")
