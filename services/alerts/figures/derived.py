"""Tables derived from the readings (``hourly_values``, ``air_station_hours``), brought up to date for the days
whose readings changed in one statement each: changed rows rewritten, unchanged ones left alone (a re-run
rewrites only what changed), rows the computation no longer gives removed (readings deleted or re-flagged, a
programme changed)."""

from __future__ import annotations

from sqlalchemy import Table


def refresh_sql(table: Table, ctes: str, scope: str) -> str:
    """The statement bringing ``table`` up to date with the CTE ``computed``, the last of ``ctes`` (a WITH list
    without its WITH), which gives every column of ``table`` in order, for the rows within ``scope`` (a condition
    on the table's rows, aliased ``stored``). It returns the rows written or removed (0 when nothing changed)."""
    columns = [column.name for column in table.columns]
    keys = [column.name for column in table.primary_key.columns]
    values = [column for column in columns if column not in keys]
    stored_values = ", ".join(f"{table.name}.{column}" for column in values)
    excluded_values = ", ".join(f"excluded.{column}" for column in values)
    return f"""
        with {ctes}, upserted as (
            insert into {table.name} ({", ".join(columns)})
            select * from computed
            on conflict ({", ".join(keys)}) do update
                set {", ".join(f"{column} = excluded.{column}" for column in values)}
                where ({stored_values}) is distinct from ({excluded_values})
            returning 1
        ), removed as (
            delete from {table.name} stored
            where ({scope})
              and not exists (
                  select from computed c
                  where ({", ".join(f"c.{key}" for key in keys)}) = ({", ".join(f"stored.{key}" for key in keys)})
              )
            returning 1
        )
        select (select count(*) from upserted) + (select count(*) from removed)
    """
