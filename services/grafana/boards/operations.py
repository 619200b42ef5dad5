"""运行监控 Operations (envmon-operations): ingest and broker health (Prometheus), and each station's data.

Panel ids are a contract: alert rules link to 7–9 (docs/alerts.md "Evidence panels").
``$subject`` is a station code, or ``*`` for every station.
"""

from __future__ import annotations

from grafana_foundation_sdk.builders import stat, statushistory, table, timeseries
from grafana_foundation_sdk.models.common import VisibilityMode
from grafana_foundation_sdk.models.dashboard import Dashboard

from services.grafana.colours import thresholds
from services.grafana.panels import (
    by_thresholds,
    coloured_cells,
    envmon_board,
    promql,
    sql_variable,
    with_queries,
)
from services.grafana.sql import Sql, day_start, local_days

UID = "envmon-operations"
EVERY_STATION = "*"
SUBJECTS = f"""
select __value, __text from (
  select '{EVERY_STATION}' as __value, '全部站点 every station' as __text, 0 as rank
  union all select code, name, 1 from stations
) subjects order by rank, __value
"""
# Completeness below the low_completeness rule's 75 % is red, below its 80 % exit orange.
COMPLETENESS_STEPS = thresholds((None, "red"), (75, "orange"), (80, "green"))


def _station_filter(column: str) -> str:
    return f"'$subject' in ('{EVERY_STATION}', {column})"


def _rate_panel(panel_id: int, title: str, *queries: tuple[str, str]) -> timeseries.Panel:
    return with_queries(
        timeseries.Panel().id(panel_id).title(title).span(12).height(8).unit("ops"),
        *(promql(expr, legend) for expr, legend in queries),
    )


def build() -> Dashboard:
    return (
        envmon_board(UID, "运行监控 Operations", time_from="now-6h")
        .with_variable(sql_variable("subject", "站点", SUBJECTS))
        .with_panel(
            _rate_panel(
                1,
                "入库速率 Ingest rate (readings/s)",
                ("sum(rate(envmon_ingest_readings_stored_total[5m]))", "stored"),
                ("sum by (topic_kind) (rate(envmon_ingest_messages_received_total[5m]))", "{{topic_kind}}"),
            )
        )
        .with_panel(
            _rate_panel(
                2,
                "拒收原因 Rejects by reason",
                ("sum by (reason) (rate(envmon_ingest_rejected_total[5m]))", "ingest {{reason}}"),
                ("sum by (reason) (rate(envmon_hj212_rejects_total[5m]))", "hj212 {{reason}}"),
            )
        )
        .with_panel(
            _rate_panel(
                3,
                "重复读数 Duplicates (readings/s)",
                ("sum(rate(envmon_ingest_readings_duplicate_total[5m]))", "duplicates"),
            )
        )
        .with_panel(
            with_queries(
                timeseries.Panel().id(4).title("积压 Lag: oldest unacknowledged message").span(12).height(8).unit("s"),
                promql("max(envmon_ingest_oldest_unacked_message_age_seconds)", "oldest unacked"),
                promql("sum(rate(envmon_ingest_commit_failures_total[5m]))", "commit failures/s"),
            )
        )
        .with_panel(
            with_queries(
                stat.Panel().id(5).title("告警数 Alerts in Alertmanager").span(12).height(8),
                promql("sum by (state) (alertmanager_alerts)", "{{state}}"),
            )
        )
        .with_panel(
            with_queries(
                stat.Panel()
                .id(6)
                .title("服务在线 Targets up")
                .span(12)
                .height(8)
                .thresholds(thresholds((None, "red"), (1, "green")))
                .color_scheme(by_thresholds()),
                promql("up", "{{job}}"),
            )
        )
        .with_panel(
            with_queries(
                table.Panel()
                .id(7)
                .title("各站最后读数 Last reading per station")
                .description("From the alerts service's station_status (rebuilt every cycle); silent stations first.")
                .span(24)
                .height(8)
                .override_by_name("silent", [coloured_cells()])
                .override_by_name("minutes_since", [coloured_cells()])
                .thresholds(thresholds((None, "green"), (120, "red"))),
                Sql(
                    f"""
select s.code as station, s.name, s.kind, st.last_reading_at, st.silent,
  floor(extract(epoch from st.checked_at - st.last_reading_at) / 60)::int as minutes_since, st.checked_at
from stations s left join station_status st on st.station = s.code
where {_station_filter("s.code")}
order by st.silent desc nulls first, st.last_reading_at nulls first, s.code
""",
                    ("station", "name", "kind", "last_reading_at", "silent", "minutes_since", "checked_at"),
                    tables=("station_status",),
                ),
            )
        )
        .with_panel(
            with_queries(
                statushistory.Panel()
                .id(8)
                .title("逐日数据有效率 Completeness per station and day (valid ÷ expected slots)")
                .span(24)
                .height(9)
                .unit("percent")
                .show_value(VisibilityMode.NEVER)
                .thresholds(COMPLETENESS_STEPS)
                .color_scheme(by_thresholds()),
                Sql(
                    f"""
select {day_start("c.day")} as time, s.name as metric, round(100.0 * c.valid / nullif(c.expected, 0), 1) as value
from station_completeness c join stations s on s.code = c.station
where {_station_filter("c.station")} and {local_days("c.day")}
order by 1, 2
""",
                    ("time", "metric", "value"),
                    table_format=False,
                    tables=("station_completeness",),
                ),
            )
        )
        .with_panel(
            with_queries(
                table.Panel()
                .id(9)
                .title("HJ 212 T/D 标记 Readings flagged T (over range) or D (fault) per station")
                .span(24)
                .height(8),
                Sql(
                    f"""
select r.station, s.name, count(*) filter (where r.flag = 'T') as flagged_t,
  count(*) filter (where r.flag = 'D') as flagged_d, string_agg(distinct r.parameter, '、') as parameters,
  max(r.time) as last_flagged
from readings r join stations s on s.code = r.station
where r.flag in ('T', 'D') and $__timeFilter(r.time) and {_station_filter("r.station")}
group by r.station, s.name order by last_flagged desc
""",
                    ("station", "name", "flagged_t", "flagged_d", "parameters", "last_flagged"),
                ),
            )
        )
        .build()
    )
