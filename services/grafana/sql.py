"""SQL panel queries on the TimescaleDB data source, and the SQL pieces every board shares.

grafana-foundation-sdk has no PostgreSQL query type, so :class:`Sql` is one: a cog ``Dataquery``
variant that renders Grafana's PostgreSQL target and also carries what a test needs to check it
(the columns it returns, the computed tables it reads).

Days are Beijing-time days: panels read the alerts service's daily and period tables (computed in
Beijing time) or bucket readings with ``time_bucket('1 day', time, 'Etc/GMT-8')``; never Grafana's
``$__timeGroup``, which buckets in UTC (grafana#51525). Published figures are rounded in SQL with
:func:`published`, GB/T 8170 half to even at the places ``services.standards.reporting`` prints,
so a board shows the figure the KPI API publishes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Self

from grafana_foundation_sdk.cog.builder import Builder
from grafana_foundation_sdk.cog.variants import Dataquery

from services.grafana.sources import TIMESCALEDB
from services.standards.local_time import POSTGRES_ZONE

LOCAL = f"'{POSTGRES_ZONE}'"
CITY = "绍兴市"

# The local time range of the dashboard (Grafana's $__timeFrom()/$__timeTo() are UTC instants).
RANGE_FROM = f"($__timeFrom()::timestamptz at time zone {LOCAL})"
RANGE_TO = f"($__timeTo()::timestamptz at time zone {LOCAL})"
# The calendar year the range ends in: the year a year-to-date figure belongs to.
RANGE_YEAR = f"extract(year from {RANGE_TO})::int"
# The months of that year, 'YYYY-MM', as a pattern for period keys.
YEAR_MONTHS = f"{RANGE_YEAR}::text || '-__'"
# A range inside one calendar month (an alert's month) shows that month; any other range the year of its end.
# The end is exclusive: an alert's complete month ends at midnight of the 1st of the next.
RANGE_PERIOD = (
    f"case when to_char({RANGE_FROM}, 'YYYY-MM') = to_char({RANGE_TO} - interval '1 millisecond', 'YYYY-MM') "
    f"then to_char({RANGE_FROM}, 'YYYY-MM') else {RANGE_YEAR}::text end"
)
MONTH_KEY = "'^[0-9]{4}-[0-9]{2}$'"


def local_days(column: str) -> str:
    """A date column inside the dashboard's time range, compared as Beijing-time dates."""
    return f"{column} between {RANGE_FROM}::date and {RANGE_TO}::date"


def day_start(column: str) -> str:
    """The instant a local date starts, for Grafana's time axis."""
    return f"({column}::timestamp at time zone {LOCAL})"


def month_start(period_column: str) -> str:
    """The instant a 'YYYY-MM' period starts."""
    return f"(to_date({period_column}, 'YYYY-MM')::timestamp at time zone {LOCAL})"


def published(expression: str, places: int) -> str:
    """``expression`` (an exact numeric) rounded as GB/T 8170 does: half to even on an exact tie.

    PostgreSQL's ``round(numeric)`` rounds ties away from zero; a tie (fraction ±0.5 after scaling)
    goes to the even neighbour instead. The outer ``round(…, places)`` fixes the scale (``95.0``).
    """
    scale = 10**places
    scaled = f"(({expression}) * {scale})"
    return (
        f"round(case when mod({scaled}, 1) in (0.5, -0.5) then 2 * round({scaled} / 2) "
        f"else round({scaled}) end / {scale}, {places})"
    )


@dataclass(frozen=True, slots=True)
class Sql(Dataquery, Builder[Dataquery]):
    """A raw-SQL target of the TimescaleDB data source."""

    sql: str
    columns: tuple[str, ...]  # the columns the query returns, in order (checked by tests/deploy)
    table_format: bool = True  # Grafana's "table" format; False for "time_series"
    tables: tuple[str, ...] = ()  # computed tables it reads (documentation and tests)
    ref_id: str = "A"

    def build(self) -> Self:
        return self

    def as_ref(self, ref_id: str) -> Sql:
        return replace(self, ref_id=ref_id)

    def to_json(self) -> dict[str, object]:
        return {
            "refId": self.ref_id,
            "datasource": TIMESCALEDB.to_json(),
            "editorMode": "code",
            "rawQuery": True,
            "format": "table" if self.table_format else "time_series",
            "rawSql": self.sql.strip(),
        }
