"""The hourly AQI of every air station and of the city in one set-based SELECT (issue 11).

It gives exactly the ``air_hourly`` rows ``services.standards.aqi.hourly_aqi`` gives hour by hour, from the temp
tables ``subject_hours`` and ``subject_measured``
(``subject_hours.stage_subject_hours``, called before in the same transaction).

The rules stay in ``services.standards.aqi``; nothing of them is retyped here. The statement reads two lookups
made from it:

- per item, an integer array per version (parameters ``:iaqi_<item>``): the IAQI of every rounded 1-hour
  concentration on the reporting grid, from 0 to the top breakpoint, computed by ``aqi.sub_index`` itself;
  plus one element one grid step above the top that stands for every concentration above it, since ``aqi``
  gives them all the same result (the cap at 500, HJ 633—2026's fixed IAQI 200 for SO2, or HJ 633-2012's
  substitute, which is never a 1-hour input and so leaves the item unrated: no IAQI). Subscripting an
  array is direct, where a join per item cost a hash probe per hour and item;
- ``aqi_hourly_days``, a temporary table: per local day first..last, ``aqi.standard_for(day)`` (and its
  position among the versions), its ``NA_UNLESS_ABOVE`` and each item's grid index of that element above the
  top.

The grid of an item (``10^places``) is the precision ``aqi.round_concentration`` rounds it to.
The SQL only rounds (GB/T 8170 half to even at the item's precision, as ``aqi.round_concentration``:
PostgreSQL's own ``round`` is half away from zero), joins, takes the largest IAQI, lists the primary
pollutants in ``aqi.HOURLY_ITEMS`` order, applies the NA rule, and names the category from
``aqi.category_for``. An item is missing when it has no value and its pollutant is in the subject's programme
that day (``subject_measured``; no row there means nothing is measured, as ``air.Measured.on`` gives then).

A negative (or NaN) 1-hour value raises ``ValueError`` (``aqi.round_concentration``'s own) before anything
is written, exactly as the hour-by-hour path does (it stops the recompute); the SQL itself never sees one.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, text

from services.alerts.context import Computation
from services.alerts.figures.hourly import SORT_MEMORY
from services.alerts.figures.publication import merge_stage, stage_select, value_columns
from services.alerts.figures.subject_hours import SUBJECT_HOURS, SUBJECT_MEASURED
from services.alerts.periods import days_between
from services.alerts.tables import AIR_POLLUTANTS, air_hourly
from services.standards import aqi
from services.storage.engine import copy_rows, create_temp_table, statement_settings

HOUR = timedelta(hours=1)
ITEMS = aqi.HOURLY_ITEMS
# The AQI is handed exactly the 1-hour values of the AIR_POLLUTANTS: each item is one of them.
assert set(ITEMS) <= set(AIR_POLLUTANTS) and all(code.isidentifier() for code in AIR_POLLUTANTS)

STANDARDS = tuple(aqi.Standard)  # a day's standard_index is its version's position here, from 1 (as in SQL)
NO_IAQI = -1  # in the IAQI arrays: no IAQI (an unrated item, or padding); every IAQI is ≥ 0
DAYS = "aqi_hourly_days"


def _places(code: str) -> int:
    """Decimal places ``aqi.round_concentration`` rounds ``code`` to (the exponent of a rounded zero)."""
    exponent = aqi.round_concentration(code, 0).as_tuple().exponent
    assert isinstance(exponent, int)
    return -exponent


def grid_unit(code: str) -> int:
    """10^places: a concentration times this is its position on the grid ``aqi.round_concentration`` rounds to."""
    return int(Decimal(1).scaleb(_places(code)))


def above_top(standard: aqi.Standard, code: str) -> int:
    """The grid index one step above the item's top breakpoint: it stands for every concentration above."""
    top = aqi.BREAKPOINTS[standard][aqi.HOURLY_COLUMNS[code]][-1] * grid_unit(code)
    assert top == top.to_integral_value(), f"{standard} {code}: top breakpoint off the reporting grid"
    return int(top) + 1


@lru_cache(maxsize=1)
def iaqi_arrays() -> dict[str, list[list[int]]]:
    """Per item, a row per version (``STANDARDS`` order): the IAQI of every rounded 1-hour concentration by its grid
    index, from 0 to one grid step above the top breakpoint, by ``aqi.sub_index``; ``NO_IAQI`` where it gives
    none, and as padding to the longest row (a SQL array is rectangular). About 17 000 values."""
    arrays: dict[str, list[list[int]]] = {}
    for code in ITEMS:
        places = _places(code)
        rows: list[list[int]] = []
        for standard in STANDARDS:
            row: list[int] = []
            for index in range(above_top(standard, code) + 1):
                rounded = Decimal(index).scaleb(-places)
                sub = aqi.sub_index(code, rounded, standard=standard, hourly=True)
                assert sub.concentration == rounded
                # A substitute (HJ 633-2012's so2_24h) is never among the 1-hour values: the item is unrated.
                assert sub.substitute is None or sub.substitute not in AIR_POLLUTANTS
                assert sub.value is None or sub.value >= 0
                row.append(NO_IAQI if sub.value is None else sub.value)
            rows.append(row)
        width = max(len(row) for row in rows)
        arrays[code] = [row + [NO_IAQI] * (width - len(row)) for row in rows]
    return arrays


@lru_cache(maxsize=1)
def category_levels() -> tuple[int, ...]:
    """``aqi.category_for(v).level`` for every AQI v the lookup can give (0 … 500), indexed by v: an integer
    array, so that SQL's subscript is direct (a text array is walked element by element)."""
    highest = max(value for rows in iaqi_arrays().values() for row in rows for value in row)
    return tuple(aqi.category_for(value).level for value in range(highest + 1))


def category_names() -> list[str | None]:
    """Category names indexed by level (1-based, as SQL arrays are)."""
    names = {category.level: category.name for category in aqi.CATEGORIES}
    return [names.get(level) for level in range(1, max(names) + 1)]


def day_rows(first: date, last: date) -> list[tuple[Any, ...]]:
    """Per local day first..last: ``aqi.standard_for(day)``, its position in ``STANDARDS``, its NA threshold and each
    item's above-top index."""
    rows: list[tuple[Any, ...]] = []
    for day in days_between(first, last):
        standard = aqi.standard_for(day)
        above = [above_top(standard, code) for code in ITEMS]
        rows.append((day, standard.value, STANDARDS.index(standard) + 1, aqi.NA_UNLESS_ABOVE[standard], *above))
    return rows


def load_lookups(connection: Connection, first: date, last: date) -> None:
    """The days' TEMP table the SELECT reads (dropped at commit), analysed for the planner."""
    columns = {
        "day": "date",
        "standard": "text",
        "standard_index": "integer",
        "na_above": "integer",
        **{f"above_{c}": "bigint" for c in ITEMS},
    }
    create_temp_table(connection, DAYS, ", ".join(f"{column} {kind}" for column, kind in columns.items()))
    copy_rows(connection, DAYS, list(columns), day_rows(first, last))
    connection.execute(text(f"analyze {DAYS}"))


def _greatest(expressions: Iterable[str]) -> str:
    return f"greatest({', '.join(expressions)})"


def _grid_index(code: str) -> str:
    """The grid index of item ``code``'s rounded concentration, from ``scaled``'s x (value × unit) and f (floor of
    x): GB/T 8170 rounds up above a half and to even on exactly a half (values are never negative here);
    every index above the top is the one row standing for them all."""
    x, f = f"s.x_{code}", f"s.f_{code}"
    up = f"case when {x} - {f} > 0.5 or ({x} - {f} = 0.5 and mod({f}, 2) = 1) then 1 else 0 end"
    # least() skips NULLs: a missing value must keep no index, not take the one above the top.
    return f"case when {x} is not null then cast(least({f} + {up}, s.above_{code}) as bigint) end"


def _select_sql() -> str:
    scaled = ", ".join(
        f"hours.{code} * :unit_{code} as x_{code}, floor(hours.{code} * :unit_{code}) as f_{code}" for code in ITEMS
    )
    iaqis = ", ".join(
        f"nullif((cast(:iaqi_{code} as integer[]))[s.standard_index][s.grid_{code} + 1], {NO_IAQI}) as {code}_iaqi"
        for code in ITEMS
    )
    unrated = " or ".join(f"(r.{code} is not null and r.{code}_iaqi is null)" for code in ITEMS)
    measures = ", ".join(f"'{code.partition('_')[0]}' = any(m.pollutants) as measures_{code}" for code in ITEMS)
    missing = " or ".join(f"(r.{code} is null and r.measures_{code})" for code in ITEMS)
    primary = ", ".join(f"case when j.{code}_iaqi = j.aqi then '{code}' end" for code in ITEMS)
    outputs = {
        **{code: f"j.{code}" for code in AIR_POLLUTANTS},
        "aqi": "j.aqi",
        "category": "(cast(:category_names as text[]))[(cast(:category_levels as integer[]))[j.aqi + 1]]",
        "primary_pollutants": (
            f"case when j.aqi > :primary_above then array_remove(array[{primary}]::text[], null) "
            "else '{}'::text[] end"
        ),
        "standard": "j.standard",
    }
    assert list(outputs) == value_columns(air_hourly), "air_hourly's value columns changed"
    return f"""
        with measured as materialized (
            -- Measured.not_in_programme: an item is outside the programme when its pollutant (before "_") is.
            -- Materialized: once per subject and day, not once per hour.
            select m.subject, m.day, {measures}
            from {SUBJECT_MEASURED} m
        ), scaled as (
            select hours.subject, hours.hour, hours.day, {", ".join(f"hours.{code}" for code in AIR_POLLUTANTS)},
                   d.standard, d.standard_index, d.na_above, {", ".join(f"d.above_{code}" for code in ITEMS)},
                   {", ".join(f"coalesce(m.measures_{code}, false) as measures_{code}" for code in ITEMS)}, {scaled}
            from {SUBJECT_HOURS} hours
            join {DAYS} d on d.day = hours.day
            left join measured m on m.subject = hours.subject and m.day = hours.day
            offset 0  -- x and f computed once per row, not once per use
        ), indexed as (
            select s.*, {", ".join(f"{_grid_index(code)} as grid_{code}" for code in ITEMS)}
            from scaled s
            offset 0  -- each index computed once
        ), rated as (
            select s.*, {iaqis}
            from indexed s
            offset 0  -- each IAQI looked up once, not once per use
        ), judged as (
            select r.*, case when r.na_above is not null and ({unrated} or {missing})
                                  and {_greatest(f"r.{code}_iaqi" for code in ITEMS)} <= r.na_above then null
                             else {_greatest(f"r.{code}_iaqi" for code in ITEMS)} end as aqi
            from rated r
        )
        select j.subject, j.hour, {", ".join(outputs.values())},
               case when j.hour + :hour <= :now then cast(:now as timestamptz) end as published_at
        from judged j
    """


SELECT_SQL = _select_sql()


def check_values(connection: Connection) -> None:
    """Raise ``aqi.round_concentration``'s ``ValueError`` for a negative or NaN 1-hour value in ``subject_hours``, as
    the hourly path does (the SQL would rate NaN above every breakpoint), before anything is computed. NaN sorts
    above every number in PostgreSQL, so a row's ``greatest`` is NaN when any of its values is."""
    columns = ", ".join(AIR_POLLUTANTS)
    rejected = connection.execute(
        text(
            f"select {columns} from {SUBJECT_HOURS} "
            f"where least({columns}) < 0 or greatest({columns}) = 'NaN'::numeric limit 1"
        )
    ).first()
    if rejected is not None:
        for code, value in zip(AIR_POLLUTANTS, rejected, strict=True):
            if value is not None:
                aqi.round_concentration(code, value)
        raise AssertionError(f"round_concentration accepted {rejected}")  # pragma: no cover


def hourly_aqi_params(job: Computation) -> dict[str, Any]:
    return {
        "now": job.now,
        "hour": HOUR,
        **{f"unit_{code}": grid_unit(code) for code in ITEMS},
        **{f"iaqi_{code}": arrays for code, arrays in iaqi_arrays().items()},
        "primary_above": aqi.PRIMARY_POLLUTANT_ABOVE,
        "category_levels": list(category_levels()),
        "category_names": category_names(),
    }


def publish_hourly_aqi(job: Computation, first: date, last: date) -> int:
    """Publish ``air_hourly`` for the hours of ``subject_hours`` in the local days first..last; rows written."""
    check_values(job.connection)
    load_lookups(job.connection, first, last)
    # A year of subject hours (271 k) is sorted or hashed on disk at the default 4 MB; for this statement only.
    with statement_settings(job.connection, work_mem=SORT_MEMORY):
        stage_select(job.connection, air_hourly, SELECT_SQL, hourly_aqi_params(job))
    return merge_stage(job.connection, air_hourly)
