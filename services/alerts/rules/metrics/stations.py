"""Data-quality metrics per station: silence, yesterday's completeness, HJ 212 flags T and D.

Silence and completeness judge a station only once its figures for the judged day are up to date: while
its recompute queue still holds that day or an older one (a backfill or a gateway's catch-up still
landing, however long the recompute takes), it has no observation, so its alert state is held.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import Connection, text

from services.alerts.rules.metrics import wording
from services.alerts.rules.metrics.model import Metric, MetricContext, Observation
from services.alerts.rules.windows import PeriodKind
from services.standards.reporting import PrecisionTable
from services.storage.programmes import SHORTEST_INTERVAL_SQL

SECONDS_PER_HOUR = 3600
# The station (column ``station`` of the row) has no queued recompute of :day or earlier.
_UP_TO_DATE = "not exists (select from recompute_queue q where q.station = {station} and q.day <= :day)"


def silent(connection: Connection, context: MetricContext) -> Iterator[Observation]:
    period = context.period(PeriodKind.CURRENT)
    rows = connection.execute(
        text(
            "select st.station, s.name, st.silent, st.last_reading_at, programme.interval from station_status st "
            f"join stations s on s.code = st.station left join ({SHORTEST_INTERVAL_SQL}) programme "
            f"on programme.station = st.station where {_UP_TO_DATE.format(station='st.station')}"
        ),
        {"today": context.today, "day": context.today},
    ).mappings()
    for row in rows:
        last = row["last_reading_at"]
        if last is None:
            since = "近期无任何数据"
        else:
            hours = int((context.now - last).total_seconds() // SECONDS_PER_HOUR)
            since = f"最后一条数据 {wording.local_time(last)}，已 {hours} 小时"
        yield Observation(
            subject=row["station"],
            period=period.key,
            value=Decimal(1 if row["silent"] else 0),
            shown="无数据" if row["silent"] else "正常上报",
            target="按监测方案上报",
            description=f"{row['station']} {row['name']} {since}{_programme(row['interval'])}",
        )


def _programme(interval: timedelta | None) -> str:
    return "" if interval is None else f"（监测方案{wording.every(interval)}上报）"


def completeness(connection: Connection, context: MetricContext) -> Iterator[Observation]:
    period, table = context.period(PeriodKind.DAY), context.precision
    rows = connection.execute(
        text(
            "select c.station, s.name, c.valid, c.expected from station_completeness c "
            "join stations s on s.code = c.station where c.day = :day and c.expected > 0 "
            f"and {_UP_TO_DATE.format(station='c.station')}"
        ),
        {"day": period.first_day},
    ).mappings()
    for row in rows:
        share = Decimal(row["valid"]) / row["expected"]
        yield Observation(
            subject=row["station"],
            period=period.key,
            value=share,
            shown=wording.percent(table, share),
            description=(
                f"{row['station']} {row['name']} {context.label(period)} 有效数据 {row['valid']}/{row['expected']} "
                f"({wording.percent(table, share)})"
            ),
        )


# Every station gets a count (0 included), so the alert resolves when flags stop.
_FLAGS_SQL = """
    select s.code, s.name, count(r.time) as flagged, count(*) filter (where r.flag = 'T') as over_range,
           count(*) filter (where r.flag = 'D') as fault,
           coalesce(array_agg(distinct r.parameter order by r.parameter) filter (where r.time is not null), '{}')
               as parameters
    from stations s
    left join readings r on r.station = s.code and r.time >= :since and r.flag in ('T', 'D')
    group by s.code, s.name
"""


def flags(connection: Connection, context: MetricContext) -> Iterator[Observation]:
    period = context.period(PeriodKind.CURRENT)
    minutes = int(context.flag_window.total_seconds() // 60)
    rows = connection.execute(text(_FLAGS_SQL), {"since": context.now - context.flag_window}).mappings()
    for row in rows:
        items = wording.listing(wording.symbol(p) for p in row["parameters"])
        yield Observation(
            subject=row["code"],
            period=period.key,
            value=Decimal(row["flagged"]),
            shown=f"{row['flagged']} 条",
            target="0 条",
            description=(
                f"{row['code']} {row['name']} 近 {minutes} 分钟 T(超量程) {row['over_range']} 条，"
                f"D(故障) {row['fault']} 条{'：' + items if items else ''}"
            ),
        )


def _percent(table: PrecisionTable, value: Decimal) -> str:
    return wording.percent(table, value)


METRICS = (
    Metric(
        "station.silent",
        PeriodKind.CURRENT,
        "站点是否无数据(1 = 无数据)",
        silent,
    ),
    Metric(
        "station.completeness_yesterday",
        PeriodKind.DAY,
        "站点昨日有效数据占应有数据的比例",
        completeness,
        _percent,
    ),
    Metric(
        "station.flagged_t_or_d",
        PeriodKind.CURRENT,
        "站点近期标记为 T 或 D 的数据条数",
        flags,
    ),
)
