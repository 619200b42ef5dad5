"""Writing computed figures so that a published figure never changes silently.

A batch of figures goes into a temporary staging copy of the target table (by COPY, or by an
``insert … select`` for figures computed wholly in SQL), then one upsert moves it over. Where a row
was already published and any value column differs, the previous values go to ``figure_revisions``
and the row's ``revision`` is bumped with ``revised_at``. Unchanged rows are not rewritten.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from psycopg.types.json import Jsonb
from sqlalchemy import Connection, Table, text

from services.alerts.tables import PUBLICATION_COLUMN_NAMES
from services.storage.engine import copy_rows, create_temp_table

Row = Mapping[str, Any]

# SQL for ``published_at`` of a figure of local ``day`` (parameters :tz and :now), cf. ``published_at``.
PUBLISHED_DAY_SQL = "case when ((day + 1)::timestamp at time zone :tz) <= :now then :now end"


def _key_columns(table: Table) -> list[str]:
    return [column.name for column in table.primary_key.columns]


def value_columns(table: Table) -> list[str]:
    keys = set(_key_columns(table))
    return [c.name for c in table.columns if c.name not in keys and c.name not in PUBLICATION_COLUMN_NAMES]


def _stage_name(table: Table) -> str:
    return f"stage_{table.name}"


def _prepare_stage(connection: Connection, table: Table) -> str:
    stage = _stage_name(table)
    create_temp_table(connection, stage, f"like {table.name} including defaults")
    return stage


def _adapt(value: Any) -> Any:
    return Jsonb(value) if isinstance(value, dict) else value


def stage_rows(connection: Connection, table: Table, rows: Iterable[Row]) -> str:
    """COPY rows (each with the key and value columns and ``published_at``) into the staging table."""
    stage = _prepare_stage(connection, table)
    columns = [*_key_columns(table), *value_columns(table), "published_at"]
    copy_rows(connection, stage, columns, ([_adapt(row.get(column)) for column in columns] for row in rows))
    return stage


def stage_select(connection: Connection, table: Table, select_sql: str, params: Mapping[str, Any]) -> str:
    """Stage the result of a SELECT giving the key columns, value columns and ``published_at``, in order."""
    stage = _prepare_stage(connection, table)
    columns = [*_key_columns(table), *value_columns(table), "published_at"]
    connection.execute(text(f"insert into {stage} ({', '.join(columns)}) {select_sql}"), dict(params))
    return stage


def _row(alias: str, columns: Sequence[str]) -> str:
    return f"({', '.join(f'{alias}.{c}' for c in columns)})"


def _json(alias: str, columns: Sequence[str]) -> str:
    pairs = ", ".join("'%s', %s.%s" % (c, alias, c) for c in columns)  # noqa: UP031 - quotes inside
    return f"jsonb_build_object({pairs})"


def merge_stage(connection: Connection, table: Table) -> int:
    """Upsert the staged rows into ``table``, recording revisions of published figures; rows written."""
    stage, keys, values = _stage_name(table), _key_columns(table), value_columns(table)
    changed = f"{_row('t', values)} is distinct from {_row('s', values)}"
    connection.execute(
        text(f"""
            insert into figure_revisions (table_name, key, previous, current, revision)
            select :table_name, {_json("t", keys)}, {_json("t", values)}, {_json("s", values)}, t.revision + 1
            from {table.name} t join {stage} s using ({", ".join(keys)})
            where t.published_at is not null and {changed}
        """),
        {"table_name": table.name},
    )
    revised = (
        f"{table.name}.published_at is not null and {_row(table.name, values)} is distinct from "
        f"{_row('excluded', values)}"
    )
    all_columns = [*keys, *values, "published_at"]
    result = connection.execute(
        text(f"""
        insert into {table.name} ({", ".join(all_columns)}, computed_at)
        select {", ".join(all_columns)}, now() from {stage}
        on conflict ({", ".join(keys)}) do update set
            {", ".join(f"{c} = excluded.{c}" for c in values)},
            revision = {table.name}.revision + case when {revised} then 1 else 0 end,
            revised_at = case when {revised} then now() else {table.name}.revised_at end,
            published_at = coalesce({table.name}.published_at, excluded.published_at),
            computed_at = now()
        where {_row(table.name, values)} is distinct from {_row("excluded", values)}
           or ({table.name}.published_at is null and excluded.published_at is not null)
    """)
    )
    return result.rowcount


def withdraw_unstaged(connection: Connection, table: Table, scope_sql: str, params: Mapping[str, Any]) -> int:
    """Delete the rows of ``table`` within ``scope_sql`` (a condition on its columns) that the last staged batch
    no longer has (their inputs were withdrawn); a published one leaves its values in ``figure_revisions``
    with an empty ``current``, so it does not vanish silently. Call after :func:`publish_rows` in the same
    transaction; rows deleted."""
    stage, keys, values = _stage_name(table), _key_columns(table), value_columns(table)
    matched = " and ".join(f"s.{key} = t.{key}" for key in keys)
    deleted = connection.execute(
        text(f"""
            with gone as (
                delete from {table.name} t
                where ({scope_sql}) and not exists (select 1 from {stage} s where {matched})
                returning t.*
            ), recorded as (
                insert into figure_revisions (table_name, key, previous, current, revision)
                select :table_name, {_json("t", keys)}, {_json("t", values)}, '{{}}'::jsonb, t.revision + 1
                from gone t where t.published_at is not null
            )
            select count(*) from gone
        """),
        {**params, "table_name": table.name},
    ).scalar_one()
    return int(deleted)


def publish_rows(connection: Connection, table: Table, rows: Iterable[Row]) -> int:
    stage_rows(connection, table, rows)
    return merge_stage(connection, table)


def publish_select(connection: Connection, table: Table, select_sql: str, params: Mapping[str, Any]) -> int:
    stage_select(connection, table, select_sql, params)
    return merge_stage(connection, table)


def published_at(period_end: datetime, now: datetime) -> datetime | None:
    """A figure is published once its period has ended; until then it is provisional."""
    return now if period_end <= now else None
