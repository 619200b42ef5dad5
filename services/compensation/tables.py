"""The compensation tables as SQLAlchemy Core, mirroring migrations 0003, 0006, 0009, 0016 and 0020."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKeyConstraint,
    Identity,
    Index,
    Integer,
    Numeric,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from services.storage.schema import metadata

agreement_versions = Table(
    "compensation_agreement_versions",
    metadata,
    Column("agreement_id", String(64), nullable=False),
    Column("version", Integer, nullable=False),
    Column("content", Text, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("origin", Text, nullable=False),
    Column("created_by", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("effective_from", Date, nullable=False),
    PrimaryKeyConstraint("agreement_id", "version"),
)

statements = Table(
    "compensation_statements",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("agreement_id", String(64), nullable=False),
    Column("period", String(16), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("agreement_version", Integer, nullable=False),
    Column("status", String(24), nullable=False),
    Column("document", Text, nullable=False),
    Column("input_sha256", String(64), nullable=False),
    Column("rule_sha256", String(64), nullable=False),
    Column("amount", Numeric(18, 2)),
    Column("reason", Text),
    Column("approver", Text),
    Column("created_by", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("agreement_id", "period", "revision"),
    ForeignKeyConstraint(
        ["agreement_id", "agreement_version"],
        ["compensation_agreement_versions.agreement_id", "compensation_agreement_versions.version"],
    ),
)

statement_events = Table(
    "compensation_statement_events",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("statement_id", BigInteger, nullable=False),
    Column("status", String(24), nullable=False),
    Column("actor", Text, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("note", Text),
    ForeignKeyConstraint(["statement_id"], ["compensation_statements.id"]),
)

principals = Table(
    "compensation_principals",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("kind", String(8), nullable=False),
    Column("secret_hash", Text, nullable=False),
    Column("role", String(8), nullable=False),
    Column("parties", ARRAY(Text), nullable=False, server_default="{}"),
    Column("enabled", Boolean, nullable=False, server_default="true"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

tokens = Table(
    "compensation_tokens",
    metadata,
    Column("token_sha256", String(64), primary_key=True),
    Column("principal", String(64), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    ForeignKeyConstraint(["principal"], ["compensation_principals.name"], ondelete="CASCADE"),
)

audit = Table(
    "compensation_audit",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("actor", Text, nullable=False),
    Column("action", String(48), nullable=False),
    Column("object", Text, nullable=False),
    Column("detail", JSONB, nullable=False, server_default="{}"),
)

monitoring_uploads = Table(
    "compensation_monitoring_uploads",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("uploaded_by", Text, nullable=False),
    Column("uploaded_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("filename", Text),
    Column("sha256", String(64), nullable=False),
    Column("results", Integer, nullable=False),
    Column("withdrawn_at", DateTime(timezone=True)),
    Column("withdrawn_by", Text),
    Column("withdrawal_reason", Text),
)

monitoring_results = Table(
    "compensation_monitoring_results",
    metadata,
    Column("station", String(64), nullable=False),
    Column("parameter", String(32), nullable=False),
    Column("sampled_on", Date, nullable=False),
    Column("time", DateTime(timezone=True), nullable=False),
    Column("tier", String(16), nullable=False),
    Column("value", Numeric(20, 6), nullable=False),
    Column("sampling_parties", ARRAY(Text), nullable=False),
    Column("laboratory", Text),
    Column("report_no", Text),
    Column("upload_id", BigInteger, nullable=False),
    Column("withdrawn", Boolean, nullable=False, server_default="false"),  # the upload's, for the unique index
    PrimaryKeyConstraint("upload_id", "station", "parameter", "sampled_on"),
    ForeignKeyConstraint(["upload_id"], ["compensation_monitoring_uploads.id"]),
    # one result per section, indicator and day among those not withdrawn
    Index(
        "compensation_monitoring_results_current",
        "station",
        "parameter",
        "sampled_on",
        unique=True,
        postgresql_where=text("not withdrawn"),
    ),
)

# 数据互认: a revision of a section's month (the hash of its rows when opened) and each party's confirmation.
month_revisions = Table(
    "compensation_month_revisions",
    metadata,
    Column("section", String(64), nullable=False),
    Column("month", String(7), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("readings_sha256", String(64), nullable=False),
    Column("required", ARRAY(Text), nullable=False),  # the parties that must confirm this revision
    Column("opened_by", Text, nullable=False),
    Column("opened_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("reason", Text, nullable=False),
    PrimaryKeyConstraint("section", "month", "revision"),
)

month_confirmations = Table(
    "compensation_month_confirmations",
    metadata,
    Column("section", String(64), nullable=False),
    Column("month", String(7), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("party", String(32), nullable=False),
    Column("confirmed_by", Text, nullable=False),
    Column("confirmed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("comment", Text),
    PrimaryKeyConstraint("section", "month", "revision", "party"),
    ForeignKeyConstraint(
        ["section", "month", "revision"],
        [
            "compensation_month_revisions.section",
            "compensation_month_revisions.month",
            "compensation_month_revisions.revision",
        ],
    ),
)
