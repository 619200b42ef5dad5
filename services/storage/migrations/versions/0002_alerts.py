"""Alerts: computed KPI figures (air, water, eco flow, waste, completeness), revisions, alert states.

Revision ID: 0002_alerts
Revises: 0001_foundation
Create Date: 2026-11-27

Every figure table carries the same bookkeeping columns (see docs/alerts.md): ``published_at`` (set
once the period has ended), ``revision`` and ``revised_at`` (bumped when a published figure changes;
the previous row is kept in ``figure_revisions``) and ``computed_at``.
"""

from __future__ import annotations

from alembic import op

revision = "0002_alerts"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None

PUBLICATION_COLUMNS = """
    published_at timestamptz,
    revision integer not null default 0,
    revised_at timestamptz,
    computed_at timestamptz not null default now()
"""

FIGURE_TABLES = {
    "air_hourly": """
        subject varchar(64) not null,
        hour timestamptz not null,
        pm25 numeric, pm10 numeric, so2 numeric, no2 numeric, co numeric, o3 numeric,
        aqi integer,
        category text,
        primary_pollutants text[] not null default '{}',
        standard varchar(16) not null,
        primary key (subject, hour)
    """,
    "air_daily": """
        subject varchar(64) not null,
        day date not null,
        pm25 numeric, pm10 numeric, so2 numeric, no2 numeric, co numeric, o3_8h numeric, o3_1h_max numeric,
        aqi integer,
        level smallint,
        category text,
        primary_pollutants text[] not null default '{}',
        missing text[] not null default '{}',
        standard varchar(16) not null,
        primary key (subject, day)
    """,
    "air_good_days": """
        subject varchar(64) not null,
        window_name varchar(8) not null constraint air_good_days_window
            check (window_name in ('month', 'ytd', 'last365')),
        as_of date not null,
        first_day date not null,
        good_days integer not null,
        valid_days integer not null,
        share numeric,
        primary key (subject, window_name)
    """,
    "air_year": """
        subject varchar(64) not null,
        year integer not null,
        as_of date not null,
        days_elapsed integer not null,
        good_days integer not null,
        valid_days integer not null,
        share numeric,
        remaining_days integer not null,
        remaining_bad_days integer not null,
        reachable boolean not null,
        best_case_share numeric,
        projected_share numeric,
        pm25_mean numeric,
        pm25_mean_last_year numeric,
        o3_mda8_p90 numeric,
        o3_mda8_p90_last_year numeric,
        primary key (subject, year)
    """,
    "water_daily": """
        section varchar(64) not null,
        day date not null,
        parameter varchar(32) not null,
        mean numeric not null,
        samples integer not null,
        primary key (section, day, parameter)
    """,
    "water_period": """
        section varchar(64) not null,
        period varchar(7) not null,
        as_of date not null,
        days integer not null,
        water_class smallint not null,
        label text not null,
        target_class smallint,
        meets_target boolean,
        main_pollutants text[] not null default '{}',
        determining_items text[] not null default '{}',
        means jsonb not null,
        primary key (section, period)
    """,
    "water_share": """
        period varchar(7) not null primary key,
        as_of date not null,
        sections integer not null,
        sections_i_iii integer not null,
        share numeric
    """,
    "eco_flow_daily": """
        section varchar(64) not null,
        day date not null,
        mean_flow numeric not null,
        eco_flow_min numeric not null,
        attained boolean not null,
        primary key (section, day)
    """,
    "eco_flow_period": """
        subject varchar(64) not null,
        period varchar(7) not null,
        as_of date not null,
        days_with_data integer not null,
        days_attained integer not null,
        share numeric,
        primary key (subject, period)
    """,
    "waste_daily": """
        day date not null primary key,
        incinerated numeric not null,
        food_waste numeric not null,
        recycled numeric not null,
        landfilled numeric not null,
        household_total numeric not null,
        landfill_share numeric,
        industrial_generated numeric not null,
        industrial_utilized numeric not null,
        industrial_disposed numeric not null,
        utilization_rate numeric
    """,
    "waste_facility_daily": """
        facility varchar(64) not null,
        day date not null,
        tonnes numeric not null,
        capacity_t_per_day numeric,
        load_ratio numeric,
        primary key (facility, day)
    """,
    "station_completeness": """
        station varchar(64) not null,
        day date not null,
        expected integer not null,
        received integer not null,
        valid integer not null,
        flagged_t integer not null,
        flagged_d integer not null,
        primary key (station, day)
    """,
}


def upgrade() -> None:
    for name, columns in FIGURE_TABLES.items():
        op.execute(f"create table {name} ({columns}, {PUBLICATION_COLUMNS})")
    op.execute("create index air_daily_day on air_daily (day)")
    op.execute("create index water_daily_day on water_daily (day)")
    op.execute("""
        create table figure_revisions (
            id bigint generated by default as identity primary key,
            table_name varchar(32) not null,
            key jsonb not null,
            previous jsonb not null,
            current jsonb not null,
            revision integer not null,
            revised_at timestamptz not null default now()
        )
    """)
    op.execute("create index figure_revisions_lookup on figure_revisions (table_name, revised_at desc)")
    op.execute("""
        create table station_status (
            station varchar(64) primary key,
            last_reading_at timestamptz,
            silent boolean not null,
            checked_at timestamptz not null default now()
        )
    """)
    op.execute("""
        create table alert_states (
            fingerprint varchar(64) primary key,
            rule varchar(64) not null,
            subject varchar(64) not null,
            severity varchar(16) not null,
            state varchar(10) not null constraint alert_states_state
                check (state in ('pending', 'firing', 'resolved')),
            value numeric,
            labels jsonb not null,
            annotations jsonb not null,
            pending_since timestamptz,
            fired_at timestamptz,
            resolved_at timestamptz,
            updated_at timestamptz not null default now(),
            acknowledged_by text,
            acknowledged_at timestamptz,
            acknowledge_comment text
        )
    """)
    op.execute("create index alert_states_state on alert_states (state, severity)")
    op.execute("""
        create table alert_history (
            id bigint generated by default as identity primary key,
            fingerprint varchar(64) not null references alert_states (fingerprint) on delete cascade,
            at timestamptz not null default now(),
            event varchar(16) not null,
            from_state varchar(10),
            to_state varchar(10),
            value numeric,
            actor text,
            comment text
        )
    """)
    op.execute("create index alert_history_fingerprint on alert_history (fingerprint, at)")
    op.execute("""
        create table alert_outbox (
            id bigint generated by default as identity primary key,
            fingerprint varchar(64) not null references alert_states (fingerprint) on delete cascade,
            created_at timestamptz not null default now(),
            payload jsonb not null,
            attempts integer not null default 0,
            last_error text,
            delivered_at timestamptz
        )
    """)
    op.execute("create index alert_outbox_pending on alert_outbox (id) where delivered_at is null")


def downgrade() -> None:
    for name in (
        "alert_outbox",
        "alert_history",
        "alert_states",
        "station_status",
        "figure_revisions",
        *reversed(FIGURE_TABLES),
    ):
        op.execute(f"drop table if exists {name}")
