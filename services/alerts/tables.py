"""The alerts service's tables as SQLAlchemy Core, mirroring migration 0002_alerts (and 0004, 0007, 0010, 0011,
0013, 0017).

Every figure table ends with the publication columns (published_at, revision, revised_at,
computed_at); docs/alerts.md documents each table and column.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Integer,
    Numeric,
    SmallInteger,
    String,
    Table,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.schema import SchemaItem

from services.storage.schema import metadata

PUBLICATION_COLUMN_NAMES = ("published_at", "revision", "revised_at", "computed_at")


def _publication_columns() -> list[Column[Any]]:
    return [
        Column("published_at", DateTime(timezone=True)),
        Column("revision", Integer, nullable=False, server_default="0"),
        Column("revised_at", DateTime(timezone=True)),
        Column("computed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    ]


def _figure_table(name: str, *columns: SchemaItem) -> Table:
    return Table(name, metadata, *columns, *_publication_columns())


def _texts(name: str) -> Column[Any]:
    return Column(name, ARRAY(Text), nullable=False, server_default="{}")


AIR_POLLUTANTS = ("pm25", "pm10", "so2", "no2", "co", "o3")
AIR_DAILY_ITEMS = ("pm25", "pm10", "so2", "no2", "co", "o3_8h", "o3_1h_max")

# The 1-hour value of each air series (GB 3095 Table 4), recomputed with the days it lies in and read by
# every consumer of hourly values (migration 0010; services/alerts/figures/hourly.py). Not a published figure.
hourly_values = Table(
    "hourly_values",
    metadata,
    Column("station", String(64), primary_key=True),
    Column("parameter", String(32), primary_key=True),
    Column("hour", DateTime(timezone=True), primary_key=True),
    Column("value", Numeric, nullable=False),  # mean of the hour's valid readings
    Column("samples", Integer, nullable=False),
    Column("minutes", SmallInteger, nullable=False),  # covered under the programme interval
    Column("valid", Boolean, nullable=False),  # minutes ≥ 45
)

# Each air station's valid 1-hour values, a row per station and hour with any ``hourly_values`` row and a column per
# pollutant, NULL when missing or not valid (migration 0024; services/alerts/figures/station_hours.py).
air_station_hours = Table(
    "air_station_hours",
    metadata,
    Column("station", String(64), primary_key=True),
    Column("hour", DateTime(timezone=True), primary_key=True),
    *(Column(code, Numeric) for code in AIR_POLLUTANTS),
)

air_hourly = _figure_table(
    "air_hourly",
    Column("subject", String(64), primary_key=True),
    Column("hour", DateTime(timezone=True), primary_key=True),
    *(Column(code, Numeric) for code in AIR_POLLUTANTS),
    Column("aqi", Integer),
    Column("category", Text),
    _texts("primary_pollutants"),
    Column("standard", String(16), nullable=False),
)

air_daily = _figure_table(
    "air_daily",
    Column("subject", String(64), primary_key=True),
    Column("day", Date, primary_key=True),
    *(Column(code, Numeric) for code in AIR_DAILY_ITEMS),
    Column("aqi", Integer),
    Column("level", SmallInteger),
    Column("category", Text),
    _texts("primary_pollutants"),
    _texts("missing"),
    Column("standard", String(16), nullable=False),
)

air_good_days = _figure_table(
    "air_good_days",
    Column("subject", String(64), primary_key=True),
    Column("window_name", String(8), primary_key=True),
    Column("as_of", Date, nullable=False),
    Column("first_day", Date, nullable=False),
    Column("good_days", Integer, nullable=False),
    Column("valid_days", Integer, nullable=False),
    Column("share", Numeric),
)

# air_year's year-to-date PM2.5 and O3 figures: this year ("") and the same days of last year.
COMPARISON_PERIODS = ("", "_last_year")
COMPARISON_FIGURES = ("pm25", "o3")


def _coverage_columns(suffix: str) -> list[Column[Any]]:
    """Calendar days, pro-rata required days and, per figure, valid days, validity and short months."""
    period = [Column(f"days_required{suffix}", Integer)]
    if suffix:
        period.insert(0, Column(f"days_elapsed{suffix}", Integer))
    return [
        *period,
        *(
            column
            for figure in COMPARISON_FIGURES
            for column in (
                Column(f"{figure}_days{suffix}", Integer),
                Column(f"{figure}_valid{suffix}", Boolean),
                Column(f"{figure}_short_months{suffix}", ARRAY(SmallInteger)),
            )
        ),
    ]


air_year = _figure_table(
    "air_year",
    Column("subject", String(64), primary_key=True),
    Column("year", Integer, primary_key=True),
    Column("as_of", Date, nullable=False),
    Column("days_elapsed", Integer, nullable=False),
    Column("good_days", Integer, nullable=False),
    Column("valid_days", Integer, nullable=False),
    Column("share", Numeric),
    Column("remaining_days", Integer, nullable=False),
    Column("remaining_bad_days", Integer, nullable=False),
    Column("reachable", Boolean, nullable=False),
    Column("best_case_share", Numeric),
    Column("projected_share", Numeric),
    Column("pm25_mean", Numeric),
    Column("pm25_mean_last_year", Numeric),
    Column("o3_mda8_p90", Numeric),
    Column("o3_mda8_p90_last_year", Numeric),
    # Coverage of the year-to-date figures (migration 0004_alerts_ytd_validity); NULL on rows computed before.
    *(column for suffix in COMPARISON_PERIODS for column in _coverage_columns(suffix)),
)

# Per source tier since migration 0013: the day's valid values, their exact total, the programme's expectation.
water_daily = _figure_table(
    "water_daily",
    Column("section", String(64), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("parameter", String(32), primary_key=True),
    Column("tier", String(16), primary_key=True),
    Column("mean", Numeric, nullable=False),
    Column("samples", Integer, nullable=False),
    Column("total", Numeric, nullable=False),
    Column("expected", Integer),
    CheckConstraint("tier in ('automatic', 'joint-manual', 'manual')", name="water_daily_tier"),
)

water_period = _figure_table(
    "water_period",
    Column("section", String(64), primary_key=True),
    Column("period", String(7), primary_key=True),
    Column("as_of", Date, nullable=False),
    Column("days", Integer, nullable=False),
    Column("water_class", SmallInteger, nullable=False),
    Column("label", Text, nullable=False),
    Column("target_class", SmallInteger),
    Column("meets_target", Boolean),
    _texts("main_pollutants"),
    _texts("determining_items"),
    Column("means", JSONB, nullable=False),
    # The statistics rule of the figure and of each item (migration 0013); NULL on rows computed before.
    Column("statistic_rule", Text),
    Column("item_statistics", JSONB),
    # The value the class was decided on, published or exact (migration 0021); NULL on rows computed before.
    Column("class_basis", Text),
)

water_share = _figure_table(
    "water_share",
    Column("period", String(7), primary_key=True),
    Column("as_of", Date, nullable=False),
    Column("sections", Integer, nullable=False),
    Column("sections_i_iii", Integer, nullable=False),
    Column("share", Numeric),
    Column("statistic_rule", Text),  # of the counted sections' classes (migration 0015); NULL before, or none counted
)

eco_flow_daily = _figure_table(
    "eco_flow_daily",
    Column("section", String(64), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("mean_flow", Numeric, nullable=False),
    Column("eco_flow_min", Numeric, nullable=False),
    Column("attained", Boolean, nullable=False),
)

eco_flow_period = _figure_table(
    "eco_flow_period",
    Column("subject", String(64), primary_key=True),
    Column("period", String(7), primary_key=True),
    Column("as_of", Date, nullable=False),
    Column("days_with_data", Integer, nullable=False),
    Column("days_attained", Integer, nullable=False),
    Column("share", Numeric),
)

# Two sources at one boundary section compared per month and indicator (migration 0017_water_comparison).
water_comparison = _figure_table(
    "water_comparison",
    Column("section", String(64), primary_key=True),
    Column("period", String(7), primary_key=True),
    Column("parameter", String(32), primary_key=True),
    Column("first_station", String(64), primary_key=True),
    Column("first_tier", String(16), primary_key=True),
    Column("second_station", String(64), primary_key=True),
    Column("second_tier", String(16), primary_key=True),
    Column("as_of", Date, nullable=False),
    Column("paired_days", Integer, nullable=False),
    Column("first_mean", Numeric, nullable=False),
    Column("second_mean", Numeric, nullable=False),
    Column("difference", Numeric, nullable=False),
    Column("relative_deviation", Numeric),
    Column("allowed", Numeric),
    Column("tolerance", Text),
    Column("agrees", Boolean),
    _texts("parties"),
)

WASTE_ROUTES = ("incinerated", "food_waste", "recycled", "landfilled")
INDUSTRIAL_WASTE = ("industrial_generated", "industrial_utilized", "industrial_disposed")

waste_daily = _figure_table(
    "waste_daily",
    Column("day", Date, primary_key=True),
    *(Column(code, Numeric, nullable=False) for code in WASTE_ROUTES),
    Column("household_total", Numeric, nullable=False),
    Column("landfill_share", Numeric),
    *(Column(code, Numeric, nullable=False) for code in INDUSTRIAL_WASTE),
    Column("utilization_rate", Numeric),
)

waste_facility_daily = _figure_table(
    "waste_facility_daily",
    Column("facility", String(64), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("tonnes", Numeric, nullable=False),
    Column("capacity_t_per_day", Numeric),
    Column("load_ratio", Numeric),
)

station_completeness = _figure_table(
    "station_completeness",
    Column("station", String(64), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("expected", Integer, nullable=False),
    Column("received", Integer, nullable=False),
    Column("valid", Integer, nullable=False),
    Column("flagged_t", Integer, nullable=False),
    Column("flagged_d", Integer, nullable=False),
)

figure_revisions = Table(
    "figure_revisions",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("table_name", String(32), nullable=False),
    Column("key", JSONB, nullable=False),
    Column("previous", JSONB, nullable=False),
    Column("current", JSONB, nullable=False),
    Column("revision", Integer, nullable=False),
    Column("revised_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

station_status = Table(
    "station_status",
    metadata,
    Column("station", String(64), primary_key=True),
    Column("last_reading_at", DateTime(timezone=True)),
    Column("silent", Boolean, nullable=False),
    Column("checked_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# Migration 0011: the daily AQI forecasts a bureau supplies (POST /v1/air/forecasts), append-only.
air_forecasts = Table(
    "air_forecasts",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("subject", String(64), nullable=False),
    Column("submitted_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("submitted_by", Text, nullable=False),
    Column("actor", Text, nullable=False),
    Column("comment", Text),
    Column("first_day", Date, nullable=False),
    Column("aqi", ARRAY(Integer), nullable=False),
)

alert_states = Table(
    "alert_states",
    metadata,
    Column("fingerprint", String(64), primary_key=True),
    Column("rule", String(64), nullable=False),
    Column("subject", String(64), nullable=False),
    Column("period", String(16), nullable=False, server_default=""),
    Column("severity", String(16), nullable=False),
    Column("state", String(10), nullable=False),
    Column("value", Numeric),
    Column("labels", JSONB, nullable=False),
    Column("annotations", JSONB, nullable=False),
    Column("pending_since", DateTime(timezone=True)),
    Column("fired_at", DateTime(timezone=True)),
    Column("resolved_at", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("acknowledged_by", Text),
    Column("acknowledged_at", DateTime(timezone=True)),
    Column("acknowledge_comment", Text),
)

alert_history = Table(
    "alert_history",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("fingerprint", String(64), ForeignKey("alert_states.fingerprint", ondelete="CASCADE"), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("event", String(16), nullable=False),
    Column("from_state", String(10)),
    Column("to_state", String(10)),
    Column("value", Numeric),
    Column("actor", Text),
    Column("comment", Text),
)

alert_outbox = Table(
    "alert_outbox",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("fingerprint", String(64), ForeignKey("alert_states.fingerprint", ondelete="CASCADE"), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("payload", JSONB, nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("last_error", Text),
    Column("delivered_at", DateTime(timezone=True)),
)
