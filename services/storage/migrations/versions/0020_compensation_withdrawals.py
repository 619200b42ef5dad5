"""Compensation: a bureau withdraws a wrong upload of monitoring results, with its reason.

Revision ID: 0020_compensation_withdrawals
Revises: 0019_water_class_basis
Create Date: 2026-12-03

A withdrawn upload stays, with who withdrew it, when and why; its results stay too, marked withdrawn, while
their readings are deleted so nothing counts them any more. One result per section, indicator and day now
holds among the results not withdrawn, so the corrected result can be uploaded after the wrong one is
withdrawn; the results' key becomes the upload and that triple.
"""

from __future__ import annotations

from alembic import op

revision = "0020_compensation_withdrawals"
down_revision = "0019_water_class_basis"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        alter table compensation_monitoring_uploads
            add column withdrawn_at timestamptz,
            add column withdrawn_by text,
            add column withdrawal_reason text,
            add constraint compensation_monitoring_uploads_withdrawal
                check ((withdrawn_at is null) = (withdrawn_by is null)
                       and (withdrawn_at is null) = (withdrawal_reason is null))
    """)
    # the flag repeats the upload's withdrawal on each result because a partial unique index can only
    # read the row it indexes
    op.execute("alter table compensation_monitoring_results add column withdrawn boolean not null default false")
    op.execute("alter table compensation_monitoring_results drop constraint compensation_monitoring_results_pkey")
    op.execute("""
        alter table compensation_monitoring_results
            add primary key (upload_id, station, parameter, sampled_on)
    """)
    op.execute("""
        create unique index compensation_monitoring_results_current
            on compensation_monitoring_results (station, parameter, sampled_on) where not withdrawn
    """)


def downgrade() -> None:
    op.execute("delete from compensation_monitoring_results where withdrawn")
    op.execute("drop index compensation_monitoring_results_current")
    op.execute("alter table compensation_monitoring_results drop constraint compensation_monitoring_results_pkey")
    op.execute("alter table compensation_monitoring_results add primary key (station, parameter, sampled_on)")
    op.execute("alter table compensation_monitoring_results drop column withdrawn")
    op.execute("""
        alter table compensation_monitoring_uploads
            drop constraint compensation_monitoring_uploads_withdrawal,
            drop column withdrawn_at, drop column withdrawn_by, drop column withdrawal_reason
    """)
