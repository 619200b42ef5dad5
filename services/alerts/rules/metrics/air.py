"""Air metrics: the daily AQI, and the city's good-day share, bad-day budget and PM2.5/O3 against last year.

The plan's targets are the city's (its assessment stations, ``ENVMON_ALERTS_CITY``), so the year-to-date
metrics observe the city only; the daily AQI is observed for every station and the city.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from urllib.parse import urlencode

from sqlalchemy import Connection, RowMapping, text

from services.alerts.rules.metrics import wording
from services.alerts.rules.metrics.model import Metric, MetricContext, Observation
from services.alerts.rules.windows import PeriodKind
from services.standards import validity
from services.standards.reporting import PrecisionTable

_CITY_YEAR = "select * from air_year where year = :year and subject = :city"
# A year to date with GB 3095's annual minimum of valid days pro rata (Table 4: 324 a year), as the PM2.5 and
# O3 comparisons require: on fewer days (a stack just started, a backlog still being stored) the year's
# figures rest on the days that happen to be in, not on the year.
_ENOUGH_VALID_DAYS = "valid_days >= days_required"


def _whole(_: PrecisionTable, value: Decimal) -> str:
    return str(value)


def _percent(table: PrecisionTable, value: Decimal) -> str:
    return wording.percent(table, value)


def _kpi_path(year: str) -> str:
    return "/v1/kpi/air?" + urlencode({"year": year})


def _city_year(connection: Connection, context: MetricContext, condition: str) -> RowMapping | None:
    period = context.period(PeriodKind.YEAR)
    return (
        connection.execute(text(f"{_CITY_YEAR} and {condition}"), {"year": int(period.key), "city": context.city})
        .mappings()
        .one_or_none()
    )


def _primary(table: PrecisionTable, row: RowMapping) -> str:
    return wording.listing(
        wording.concentration(table, code, row[code]) if row.get(code) is not None else wording.symbol(code)
        for code in row["primary_pollutants"]
    )


def _named(row: RowMapping) -> str:
    return row["subject"] if row["name"] == row["subject"] else f"{row['subject']} {row['name']}"


def daily_aqi(connection: Connection, context: MetricContext) -> Iterator[Observation]:
    period = context.period(PeriodKind.DAY)
    rows = connection.execute(
        text(
            "select a.*, coalesce(s.name, a.subject) as name from air_daily a "
            "left join stations s on s.code = a.subject where a.day = :day and a.aqi is not null"
        ),
        {"day": period.first_day},
    ).mappings()
    for row in rows:
        primary = f"，首要污染物 {_primary(context.precision, row)}" if row["primary_pollutants"] else ""
        yield Observation(
            subject=row["subject"],
            period=period.key,
            value=Decimal(row["aqi"]),
            shown=str(row["aqi"]),
            description=f"{_named(row)} {context.label(period)} 日AQI {row['aqi']} ({row['category']}){primary}",
            api_path="/v1/air/daily?" + urlencode({"subject": row["subject"], "from": period.key, "to": period.key}),
        )


def _non_good_by_pollutant(connection: Connection, context: MetricContext, row: RowMapping) -> str:
    counts = connection.execute(
        text(
            "select pollutant, count(*) as days from air_daily, unnest(primary_pollutants) as pollutant "
            "where subject = :city and day between make_date(:year, 1, 1) and :as_of and aqi > :good "
            "group by pollutant order by days desc, pollutant"
        ),
        {"city": context.city, "year": row["year"], "as_of": row["as_of"], "good": validity.GOOD_DAY_MAX_AQI},
    ).all()
    return wording.listing(f"{wording.symbol(code)} {wording.days(days)}" for code, days in counts)


def good_day_share(connection: Connection, context: MetricContext) -> Iterator[Observation]:
    row = _city_year(connection, context, f"share is not null and {_ENOUGH_VALID_DAYS}")
    if row is None:
        return
    period, table = context.period(PeriodKind.YEAR), context.precision
    non_good = row["valid_days"] - row["good_days"]
    causes = _non_good_by_pollutant(connection, context, row)
    projected = (
        f"；按目前非优良天出现频率，全年约 {wording.percent(table, row['projected_share'])}"
        if row["projected_share"] is not None
        else ""
    )
    yield Observation(
        subject=context.city,
        period=period.key,
        value=row["share"],
        shown=wording.percent(table, row["share"]),
        description=(
            f"{context.city} {context.label(period, row['as_of'])} 优良天 {row['good_days']}/{row['valid_days']} 天 "
            f"({wording.percent(table, row['share'])})；非优良天 {wording.days(non_good)}"
            f"{'，首要污染物 ' + causes if causes else ''}{projected}"
        ),
        api_path=_kpi_path(period.key),
        as_of=row["as_of"],
    )


def remaining_bad_days(connection: Connection, context: MetricContext) -> Iterator[Observation]:
    # With days missing the budget counts them as room, so it would read low for want of data.
    row = _city_year(connection, context, _ENOUGH_VALID_DAYS)
    if row is None:
        return
    period = context.period(PeriodKind.YEAR)
    budget = row["remaining_bad_days"]
    room = f"至多还可有 {wording.days(budget)}非优良天" if budget >= 0 else "已无法达到目标"
    yield Observation(
        subject=context.city,
        period=period.key,
        value=Decimal(budget),
        shown=wording.days(budget),
        description=(
            f"{context.city} {context.label(period, row['as_of'])} 已有非优良天 "
            f"{wording.days(row['valid_days'] - row['good_days'])}；余下 {wording.days(row['remaining_days'])}中{room}"
            f"才能保住全年优良天数比例目标"
        ),
        api_path=_kpi_path(period.key),
        as_of=row["as_of"],
    )


def _against_last_year(
    connection: Connection, context: MetricContext, figure: str, column: str, item: str, name: str
) -> Iterator[Observation]:
    """A figure against the same days of last year, compared as published (both valid, reporting precision):
    the change a bureau reads off the two published numbers."""
    row = _city_year(connection, context, f"{figure}_valid and {figure}_valid_last_year")
    if row is None:
        return
    period, table = context.period(PeriodKind.YEAR), context.precision
    parameter = wording.AIR_ITEM_PARAMETER.get(item, item)
    now, before = (table.concentration_value(parameter, row[c]) for c in (column, f"{column}_last_year"))
    shown, last = (wording.figure(table, item, row[c]) for c in (column, f"{column}_last_year"))
    yield Observation(
        subject=context.city,
        period=period.key,
        value=now - before,
        shown=shown,
        target=f"< {last} (去年同期)",
        description=f"{context.city} {context.label(period, row['as_of'])} {name} {shown}，去年同期 {last}",
        api_path=_kpi_path(period.key),
        as_of=row["as_of"],
    )


def pm25_change(connection: Connection, context: MetricContext) -> Iterator[Observation]:
    return _against_last_year(connection, context, "pm25", "pm25_mean", "pm25", "PM2.5 平均浓度")


def o3_change(connection: Connection, context: MetricContext) -> Iterator[Observation]:
    return _against_last_year(connection, context, "o3", "o3_mda8_p90", "o3_8h", "O3-8h 第90百分位数")


METRICS = (
    Metric(
        "air.daily_aqi",
        PeriodKind.DAY,
        "昨日的日AQI(站点和城市)",
        daily_aqi,
        _whole,
    ),
    Metric(
        "air.good_day_share_ytd",
        PeriodKind.YEAR,
        "城市年累计优良天数比例",
        good_day_share,
        _percent,
    ),
    Metric(
        "air.remaining_bad_days",
        PeriodKind.YEAR,
        "城市余下天数中还可承受的非优良天数",
        remaining_bad_days,
        lambda _, v: wording.days(v),
    ),
    Metric(
        "air.pm25_change_ytd",
        PeriodKind.YEAR,
        "城市 PM2.5 年累计平均浓度减去去年同期(按报告精度)",
        pm25_change,
    ),
    Metric(
        "air.o3_p90_change_ytd",
        PeriodKind.YEAR,
        "城市 O3-8h 第90百分位数减去去年同期(按报告精度)",
        o3_change,
    ),
)
