"""交界断面 Boundary sections (envmon-boundary): the sections on the city line seen by both parties.

Both sources at a section overlaid (Shaoxing's automatic station, the partner's automatic station, the
joint and manual laboratory results), the monthly paired comparison against each indicator's tolerance,
and the joint monthly confirmation (数据互认) of each party.

Panel ids are a contract: the rule boundary_sources_disagree links to 4 (docs/alerts.md "Evidence panels").
``$subject`` is a boundary section: a section where another party runs a station.
"""

from __future__ import annotations

from grafana_foundation_sdk.builders import table, timeseries
from grafana_foundation_sdk.models.common import GraphDrawStyle
from grafana_foundation_sdk.models.dashboard import Dashboard, DynamicConfigValue

from services.grafana.colours import thresholds
from services.grafana.panels import (
    by_thresholds,
    coloured_cells,
    custom_variable,
    envmon_board,
    field_config,
    sql_variable,
    with_queries,
)
from services.grafana.sql import LOCAL, RANGE_FROM, RANGE_TO, Sql, published
from services.standards.reporting import CONCENTRATION, PERCENT

UID = "envmon-boundary"
INDICATORS = ("nh3n", "codmn", "tp", "tn", "do", "ph")

SECTIONS = """
select s.code as __value, s.name as __text from stations s
where s.kind = 'water' and s.monitors_section is null
  and exists (select 1 from stations p where p.monitors_section = s.code)
order by s.code
"""

# What a source is called on the board: the operator's name and 自动站, or the laboratory tier.
SOURCE_NAME = """case {tier} when 'joint-manual' then '联合监测' when 'manual' then '手工监测'
  else coalesce({party}, {station}) || '自动站' end"""

# Months of the dashboard's range, 'YYYY-MM' (an alert's month opens exactly that month).
RANGE_MONTHS = (
    f"period between to_char({RANGE_FROM}, 'YYYY-MM') and to_char({RANGE_TO} - interval '1 millisecond', 'YYYY-MM')"
)


def _at_precision(expression: str) -> str:
    """``expression`` rounded at the reporting precision of the row's ``parameter`` (services/standards/reporting)."""
    cases = " ".join(f"when '{code}' then {published(expression, CONCENTRATION[code].places)}" for code in INDICATORS)
    return f"case c.parameter {cases} else {expression} end"


def _source(prefix: str) -> str:
    return SOURCE_NAME.format(tier=f"c.{prefix}_tier", party=f"p_{prefix}.name", station=f"c.{prefix}_station")


COMPARISON_COLUMNS = (
    "section",
    "period",
    "parameter",
    "first_source",
    "first_mean",
    "second_source",
    "second_mean",
    "difference",
    "relative_deviation_percent",
    "tolerance",
    "agrees",
    "paired_days",
)


def comparisons(where: str) -> Sql:
    return Sql(
        f"""
select s.name as section, c.period, c.parameter,
  {_source("first")} as first_source, {_at_precision("c.first_mean")} as first_mean,
  {_source("second")} as second_source, {_at_precision("c.second_mean")} as second_mean,
  {_at_precision("c.difference")} as difference,
  {published("100 * c.relative_deviation", PERCENT.places)} as relative_deviation_percent,
  c.tolerance, case when c.agrees then '一致' when not c.agrees then '不一致' else '无允许偏差' end as agrees,
  c.paired_days
from water_comparison c
join stations s on s.code = c.section
join stations st_first on st_first.code = c.first_station
join stations st_second on st_second.code = c.second_station
left join parties p_first on p_first.code = st_first.operator
left join parties p_second on p_second.code = st_second.operator
where {where}
order by c.section, c.period, c.agrees nulls last, c.parameter
""",
        COMPARISON_COLUMNS,
        tables=("water_comparison",),
    )


CONFIRMATIONS = f"""
with months as (
  select to_char(m, 'YYYY-MM') as month
  from generate_series(date_trunc('month', {RANGE_FROM}), {RANGE_TO} - interval '1 millisecond', interval '1 month') m
), latest as (
  select distinct on (section, month) section, month, revision, required, opened_at
  from compensation_month_revisions order by section, month, revision desc
), confirmed as (
  select l.section, l.month, array_agg(c.party::text order by c.party) as parties, max(c.confirmed_at) as confirmed_at
  from latest l join compensation_month_confirmations c using (section, month, revision)
  group by l.section, l.month
), late as (
  select distinct l.section, l.month
  from latest l join stations st on st.code = l.section or st.monitors_section = l.section
  join readings r on r.station = st.code and r.received_at > l.opened_at
   and r.time >= (to_date(l.month, 'YYYY-MM')::timestamp at time zone {LOCAL})
   and r.time < ((to_date(l.month, 'YYYY-MM') + interval '1 month')::timestamp at time zone {LOCAL})
)
select s.name as section, m.month,
  case when l.revision is null then '未确认'
       when t.section is not null then '数据已更新，待重新确认'
       when l.required <@ coalesce(c.parties, '{{}}') then '已互认'
       else '部分确认' end as state,
  l.revision,
  (select string_agg(coalesce(p.name, x), '、') from unnest(c.parties) x left join parties p on p.code = x)
    as confirmed_by,
  (select string_agg(coalesce(p.name, x), '、') from unnest(l.required) x left join parties p on p.code = x
    where c.parties is null or not x = any(c.parties)) as missing,
  c.confirmed_at
from stations s cross join months m
left join latest l on l.section = s.code and l.month = m.month
left join confirmed c on c.section = s.code and c.month = m.month
left join late t on t.section = s.code and t.month = m.month
where s.code = '$subject'
order by m.month
"""


def _state_colours() -> list[dict[str, object]]:
    colours = {"已互认": "green", "部分确认": "orange", "数据已更新，待重新确认": "red", "未确认": "text"}
    return [
        {
            "type": "value",
            "options": {state: {"color": colour, "index": i} for i, (state, colour) in enumerate(colours.items())},
        }
    ]


def _agrees_cells() -> list[DynamicConfigValue]:
    return [
        coloured_cells(),
        field_config(
            "mappings",
            [
                {
                    "type": "value",
                    "options": {
                        "一致": {"color": "green", "index": 0},
                        "不一致": {"color": "red", "index": 1},
                        "无允许偏差": {"color": "text", "index": 2},
                    },
                }
            ],
        ),
    ]


def build() -> Dashboard:
    return (
        envmon_board(UID, "交界断面 Boundary sections (杭绍两地共享)", time_from="now-60d")
        .with_variable(sql_variable("subject", "断面", SECTIONS))
        .with_variable(custom_variable("parameter", "指标", INDICATORS))
        .with_panel(
            with_queries(
                table.Panel()
                .id(1)
                .title("交界断面与各方监测站 Boundary sections and who runs each station")
                .span(24)
                .height(6),
                Sql(
                    """
select s.name as section, s.river, st.code as station, st.name as station_name,
  coalesce(p.name, st.operator) as operator, p.city as party_city
from stations s
join stations st on st.code = s.code or st.monitors_section = s.code
left join parties p on p.code = st.operator
where s.kind = 'water' and s.monitors_section is null
  and exists (select 1 from stations x where x.monitors_section = s.code)
order by s.code, st.monitors_section nulls first, st.code
""",
                    ("section", "river", "station", "station_name", "operator", "party_city"),
                ),
            )
        )
        .with_panel(
            with_queries(
                timeseries.Panel()
                .id(2)
                .title("$subject 各方 $parameter 监测值叠加 Both sources overlaid (flag N)")
                .description(
                    "Every valid reading of the section's own station, the partner's station at the section, "
                    "and the joint / manual laboratory results (points)."
                )
                .span(24)
                .height(9),
                Sql(
                    f"""
select r.time, {SOURCE_NAME.format(tier="r.source", party="p.name", station="r.station")} as metric, r.value
from readings r
join stations st on st.code = r.station
left join parties p on p.code = st.operator
where (st.code = '$subject' or st.monitors_section = '$subject') and r.parameter = '$parameter'
  and r.flag = 'N' and $__timeFilter(r.time)
order by 1
""",
                    ("time", "metric", "value"),
                    table_format=False,
                ),
            )
        )
        .with_panel(
            with_queries(
                timeseries.Panel()
                .id(3)
                .title("$subject 各方 $parameter 日均值 Daily means by source (Beijing-time days)")
                .span(24)
                .height(8)
                .draw_style(GraphDrawStyle.LINE),
                Sql(
                    f"""
select time_bucket('1 day', r.time, {LOCAL}) as time,
  {SOURCE_NAME.format(tier="r.source", party="p.name", station="r.station")} as metric, avg(r.value) as value
from readings r
join stations st on st.code = r.station
left join parties p on p.code = st.operator
where (st.code = '$subject' or st.monitors_section = '$subject') and r.parameter = '$parameter'
  and r.flag = 'N' and $__timeFilter(r.time)
group by 1, 2 order by 1
""",
                    ("time", "metric", "value"),
                    table_format=False,
                ),
            )
        )
        .with_panel(
            with_queries(
                table.Panel()
                .id(4)
                .title("$subject 比对结果（按月）Paired comparison by month and indicator")
                .description(
                    "Means over the days both sources have; relative deviation against the laboratory side, "
                    "else against the mean of the two automatic means; tolerance per indicator (docs/partners.md)."
                )
                .span(24)
                .height(9)
                .override_by_name("agrees", _agrees_cells()),
                comparisons(f"c.section = '$subject' and c.{RANGE_MONTHS}"),
            )
        )
        .with_panel(
            with_queries(
                table.Panel()
                .id(5)
                .title("全部交界断面比对 All boundary sections compared (months of the range)")
                .span(24)
                .height(9)
                .override_by_name("agrees", _agrees_cells()),
                comparisons(f"c.{RANGE_MONTHS}"),
            )
        )
        .with_panel(
            with_queries(
                timeseries.Panel()
                .id(6)
                .title("$subject 比对一致率（月）Share of indicator comparisons that agree, by month")
                .span(24)
                .height(8)
                .unit("percent")
                .decimals(PERCENT.places)
                .min(0)
                .max(100)
                .draw_style(GraphDrawStyle.BARS)
                .thresholds(thresholds((None, "red"), (100, "green")))
                .color_scheme(by_thresholds()),
                Sql(
                    f"""
select (to_date(c.period, 'YYYY-MM')::timestamp at time zone {LOCAL}) as time,
  {published("100.0 * count(*) filter (where c.agrees) / count(*)", PERCENT.places)} as "一致率"
from water_comparison c
where c.section = '$subject' and c.agrees is not null and c.{RANGE_MONTHS}
group by c.period order by 1
""",
                    ("time", "一致率"),
                    table_format=False,
                    tables=("water_comparison",),
                ),
            )
        )
        .with_panel(
            with_queries(
                table.Panel()
                .id(7)
                .title("$subject 数据互认（按月双方确认）Joint monthly confirmation by each party")
                .description(
                    "Months of the range: the latest revision, who confirmed it, who is still to. 数据已更新 marks "
                    "readings received after the revision was opened; the compensation page /ui/confirmations "
                    "decides by the hash of the month's rows."
                )
                .span(24)
                .height(8)
                .override_by_name("state", [coloured_cells(), field_config("mappings", _state_colours())]),
                Sql(
                    CONFIRMATIONS, ("section", "month", "state", "revision", "confirmed_by", "missing", "confirmed_at")
                ),
            )
        )
        .build()
    )
