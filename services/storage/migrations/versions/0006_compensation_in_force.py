"""Compensation: agreement versions in force from a date, and content that may return as a new version.

Revision ID: 0006_compensation_in_force
Revises: 0005_station_programmes
Create Date: 2026-12-01

A version is in force for the periods that start on or after its ``effective_from`` until a version
with a later date takes over; among versions with the same date the newest wins. Putting back an
earlier content therefore needs a new version number, so content is no longer unique per agreement.
"""

from __future__ import annotations

from alembic import op

revision = "0006_compensation_in_force"
down_revision = "0005_station_programmes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("alter table compensation_agreement_versions add column effective_from date")
    op.execute("""
        update compensation_agreement_versions
        set effective_from = coalesce(content::jsonb ->> 'effective_from', content::jsonb #>> '{term,start}')::date
    """)
    op.execute("alter table compensation_agreement_versions alter column effective_from set not null")
    op.execute(
        "alter table compensation_agreement_versions "
        "drop constraint compensation_agreement_versions_agreement_id_sha256_key"
    )
    op.execute("""
        create index compensation_agreement_versions_in_force
        on compensation_agreement_versions (agreement_id, effective_from desc, version desc)
    """)


def downgrade() -> None:
    op.execute("drop index compensation_agreement_versions_in_force")
    op.execute("alter table compensation_agreement_versions drop column effective_from")
    op.execute(
        "alter table compensation_agreement_versions "
        "add constraint compensation_agreement_versions_agreement_id_sha256_key unique (agreement_id, sha256)"
    )
