"""Alerts: every air station's valid 1-hour values, a row per station and hour, derived from ``hourly_values``.

Revision ID: 0024_air_station_hours
Revises: 0023_exact_mean
Create Date: 2026-12-03

``hourly_values`` holds a row per station, pollutant and hour with the mean, its coverage and validity; the
figures read the valid values a station-hour at a time, one column per pollutant (NULL: missing or not valid).
Pivoting a year of them took about a second of every restatement, so the pivot is derived with the 1-hour
values, once when readings change (services/alerts/figures/station_hours.py), and filled here from what is
already derived.
"""

from __future__ import annotations

from alembic import op

revision = "0024_air_station_hours"
down_revision = "0023_exact_mean"
branch_labels = None
depends_on = None

POLLUTANTS = ("pm25", "pm10", "so2", "no2", "co", "o3")  # services.alerts.tables.AIR_POLLUTANTS, fixed here


def upgrade() -> None:
    op.execute(f"""
        create table air_station_hours (
            station varchar(64) not null,
            hour timestamptz not null,
            {", ".join(f"{code} numeric" for code in POLLUTANTS)},
            primary key (station, hour)
        )
    """)
    values = ", ".join(f"max(value) filter (where valid and parameter = '{code}')" for code in POLLUTANTS)
    op.execute(f"""
        insert into air_station_hours (station, hour, {", ".join(POLLUTANTS)})
        select station, hour, {values}
        from hourly_values
        where parameter in ({", ".join(f"'{code}'" for code in POLLUTANTS)})
        group by station, hour
    """)


def downgrade() -> None:
    op.execute("drop table if exists air_station_hours")
