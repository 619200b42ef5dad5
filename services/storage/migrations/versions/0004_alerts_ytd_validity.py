"""Alerts: coverage and validity of the year-to-date PM2.5 mean and O3 MDA8 90th percentile in air_year.

Revision ID: 0004_alerts_ytd_validity
Revises: 0003_compensation
Create Date: 2026-11-28

For this year's figures and last year's same days: the calendar days (``days_elapsed`` exists for
this year), the days the pro-rata GB 3095 annual rule requires, and per figure the days with a
valid daily value, whether the figure is valid and the months short of their minimum
(docs/alerts.md). Nullable: rows computed before this revision have no coverage until recomputed.
"""

from __future__ import annotations

from alembic import op

revision = "0004_alerts_ytd_validity"
down_revision = "0003_compensation"
branch_labels = None
depends_on = None

PERIODS = ("", "_last_year")
FIGURES = ("pm25", "o3")


def _columns() -> list[str]:
    columns = ["days_elapsed_last_year integer"]
    for suffix in PERIODS:
        columns.append(f"days_required{suffix} integer")
        for figure in FIGURES:
            columns += [
                f"{figure}_days{suffix} integer",
                f"{figure}_valid{suffix} boolean",
                f"{figure}_short_months{suffix} smallint[]",
            ]
    return columns


def upgrade() -> None:
    op.execute("alter table air_year " + ", ".join(f"add column {column}" for column in _columns()))


def downgrade() -> None:
    op.execute("alter table air_year " + ", ".join(f"drop column {column.split()[0]}" for column in _columns()))
