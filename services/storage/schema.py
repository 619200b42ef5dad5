"""The registry and time-series tables as SQLAlchemy Core, mirroring the Alembic migrations.

Services that own more tables (alerts, compensation) add them to the same ``metadata``.
``tests/storage/test_schema.py`` checks these definitions against the migrated database.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Double,
    ForeignKey,
    Identity,
    Integer,
    Interval,
    LargeBinary,
    MetaData,
    Numeric,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Table,
    Text,
    func,
)

from services.standards.water_statistics import Tier

metadata = MetaData()


class ControlLevel(StrEnum):
    NATIONAL = "national"
    PROVINCIAL = "provincial"
    MUNICIPAL = "municipal"


class Source(StrEnum):
    """Where a reading came from; compensation ranks automatic above joint manual above manual."""

    MQTT_JSON = "mqtt-json"
    HJ212 = "hj212"
    BACKFILL = "backfill"
    JOINT_MANUAL = "joint-manual"
    MANUAL = "manual"


# readings.source → the statistics rule's source tier; mqtt-json, hj212 and backfill all come from
# the automatic stations.
SOURCE_TIERS: Mapping[str, Tier] = MappingProxyType(
    {
        Source.MQTT_JSON: Tier.AUTOMATIC,
        Source.HJ212: Tier.AUTOMATIC,
        Source.BACKFILL: Tier.AUTOMATIC,
        Source.JOINT_MANUAL: Tier.JOINT_MANUAL,
        Source.MANUAL: Tier.MANUAL,
    }
)


class AccountRole(StrEnum):
    """A broker account: a station gateway, or one of the platform's own services."""

    GATEWAY = "gateway"
    INGEST = "ingest"
    ALERTS = "alerts"
    HJ212_GATEWAY = "hj212-gateway"


def _in(column: str, values: type[StrEnum]) -> str:
    return f"{column} in ({', '.join(repr(v.value) for v in values)})"


parties = Table(
    "parties",
    metadata,
    Column("code", String(32), primary_key=True),
    Column("name", Text, nullable=False),
    Column("city", Text, nullable=False),
    Column("level", String(8), nullable=False),
    CheckConstraint("level in ('province', 'city', 'district')", name="parties_level"),
)

stations = Table(
    "stations",
    metadata,
    Column("code", String(64), primary_key=True),
    Column("name", Text, nullable=False),
    Column("kind", String(8), nullable=False),
    Column("control_level", String(16), nullable=False),
    Column("river", Text),
    Column("basin", Text),
    Column("waterbody", String(8)),
    Column("city", Text, nullable=False),
    Column("county", Text),
    Column("latitude", Numeric(9, 6)),
    Column("longitude", Numeric(9, 6)),
    Column("target_class", SmallInteger),
    Column("upstream_area", Text),
    Column("downstream_area", Text),
    Column("eco_flow_min_m3s", Numeric(12, 3)),
    Column("facility_type", String(24)),
    Column("capacity_t_per_day", Numeric(12, 2)),
    Column("illustrative", Boolean, nullable=False, server_default="false"),
    Column("note", Text),
    Column("commissioned_on", Date),  # readings dated before it are refused (ingest)
    Column("operator", String(32), ForeignKey("parties.code")),  # null only until `envmon db seed`
    # another party's station at this section: a second source, not a section of its own
    Column("monitors_section", String(64), ForeignKey("stations.code")),
    CheckConstraint("kind in ('water', 'air', 'waste')", name="stations_kind"),
    CheckConstraint(_in("control_level", ControlLevel), name="stations_control_level"),
    CheckConstraint("waterbody is null or waterbody in ('river', 'lake')", name="stations_waterbody"),
    CheckConstraint("target_class is null or target_class between 1 and 5", name="stations_target_class"),
)

gateways = Table(
    "gateways",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", Text, nullable=False),
    Column("role", String(16), nullable=False, server_default=AccountRole.GATEWAY.value),
    Column("password_hash", Text, nullable=False),
    Column("hj212_password_hash", Text),
    Column("accept_modbus_crc", Boolean, nullable=False, server_default="false"),
    Column("enabled", Boolean, nullable=False, server_default="true"),
    Column("party", String(32), ForeignKey("parties.code")),  # who runs a station gateway
    CheckConstraint(_in("role", AccountRole), name="gateways_role"),
)

gateway_stations = Table(
    "gateway_stations",
    metadata,
    Column("gateway_id", String(64), ForeignKey("gateways.id", ondelete="CASCADE"), nullable=False),
    Column("station_code", String(64), ForeignKey("stations.code", ondelete="CASCADE"), nullable=False),
    Column("hj212_mn", String(24), unique=True),
    PrimaryKeyConstraint("gateway_id", "station_code"),
)

readings = Table(
    "readings",
    metadata,
    Column("time", DateTime(timezone=True), nullable=False),
    Column("station", String(64), nullable=False),
    Column("parameter", String(32), nullable=False),
    Column("value", Double, nullable=False),
    Column("flag", String(1), nullable=False, server_default="N"),
    Column("source", String(16), nullable=False),
    Column("gateway", String(64)),
    Column("received_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("station", "parameter", "time"),
    CheckConstraint("flag in ('N', 'F', 'M', 'S', 'D', 'C', 'T', 'B')", name="readings_flag"),
    CheckConstraint(_in("source", Source), name="readings_source"),
)

rejected_messages = Table(
    "rejected_messages",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("received_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("topic", Text, nullable=False),
    Column("gateway", String(64)),
    Column("station", String(64)),
    Column("reason", String(48), nullable=False),
    Column("detail", Text, nullable=False),
    Column("payload", LargeBinary, nullable=False),
    # one row may stand for several rejects of the same reason in one message (rows are capped per message)
    Column("occurrences", Integer, nullable=False, server_default="1"),
    CheckConstraint("occurrences > 0", name="rejected_messages_occurrences"),
)

# Every stored reading a gateway replaced with a correction (services.ingest.corrections): the value
# before and after, who sent it, when and why. A conflicting resend without the mark is rejected instead.
reading_corrections = Table(
    "reading_corrections",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("corrected_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("station", String(64), nullable=False),
    Column("parameter", String(32), nullable=False),
    Column("time", DateTime(timezone=True), nullable=False),
    Column("old_value", Double),  # null: there was no stored reading to replace
    Column("old_flag", String(1)),
    Column("new_value", Double, nullable=False),
    Column("new_flag", String(1), nullable=False),
    Column("gateway", String(64)),
    Column("topic", Text, nullable=False),
    Column("reason", Text, nullable=False),
)

recompute_queue = Table(
    "recompute_queue",
    metadata,
    Column("station", String(64), nullable=False),
    Column("day", Date, nullable=False),
    Column("modified_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # Readings of the day that changed (late, corrected, withdrawn; a programme change counts 1): the day is
    # derived anew from its readings. 0: only restated from what was derived (a rule or setting changed).
    Column("readings", Integer, nullable=False, server_default="1"),
    PrimaryKeyConstraint("station", "day"),
)

station_programmes = Table(
    "station_programmes",
    metadata,
    Column("station", String(64), ForeignKey("stations.code", ondelete="CASCADE"), nullable=False),
    Column("parameter", String(32), nullable=False),
    # The reporting interval; it divides a day, so report times lie on a grid from Beijing midnight.
    Column("interval", Interval, nullable=False),
    Column("valid_from", Date, nullable=False),
    Column("valid_to", Date),  # exclusive; null = still in force
    PrimaryKeyConstraint("station", "parameter", "valid_from"),
    CheckConstraint(
        "interval between interval '1 minute' and interval '1 day' "
        "and mod(extract(epoch from interval '1 day')::numeric, extract(epoch from interval)::numeric) = 0",
        name="station_programmes_interval",
    ),
    CheckConstraint("valid_to is null or valid_to > valid_from", name="station_programmes_period"),
)

# Messages that were in the ingest worker when it died or stalled; a message that keeps doing it is
# quarantined as poison after ENVMON_INGEST_POISON_CRASHES crashes (services.ingest.suspects).
ingest_suspects = Table(
    "ingest_suspects",
    metadata,
    Column("fingerprint", LargeBinary, primary_key=True),
    Column("topic", Text, nullable=False),
    Column("crashes", Integer, nullable=False),
    Column("last_error", Text, nullable=False),
    Column("first_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("last_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint("crashes > 0", name="ingest_suspects_crashes"),
)
