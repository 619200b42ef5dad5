"""水环境 Water quality (envmon-water): section classes, the Class Ⅰ–Ⅲ share, parameter trends and ecological flow.

Panel ids are a contract: alert rules link to 1, 7, 8 and 9 (docs/alerts.md "Evidence panels").
``$subject`` is a section code, or the city for the pooled eco-flow figures.
"""

from __future__ import annotations

from grafana_foundation_sdk.builders import barchart, geomap, statushistory, table, timeseries
from grafana_foundation_sdk.builders.common import FrameGeometrySource, MapLayerOptions
from grafana_foundation_sdk.builders.geomap import MapViewConfig, TooltipOptions
from grafana_foundation_sdk.models.common import FrameGeometrySourceMode, GraphDrawStyle, VisibilityMode
from grafana_foundation_sdk.models.dashboard import Dashboard
from grafana_foundation_sdk.models.geomap import TooltipMode

from services.grafana.colours import thresholds, water_class_mappings, water_class_thresholds
from services.grafana.panels import (
    by_thresholds,
    coloured_cells,
    custom_variable,
    dashed_thresholds,
    envmon_board,
    field_config,
    sql_variable,
    with_queries,
)
from services.grafana.sql import (
    CITY,
    LOCAL,
    MONTH_KEY,
    RANGE_FROM,
    RANGE_PERIOD,
    RANGE_TO,
    YEAR_MONTHS,
    Sql,
    day_start,
    local_days,
    month_start,
    published,
)
from services.standards import water, water_statistics
from services.standards.reporting import PERCENT

UID = "envmon-water"
ECO_FLOW_TARGET = 95  # percent: the plan's 重点河湖基本生态流量达标率

SUBJECTS = f"""
select __value, __text from (
  select code as __value, name as __text, 0 as rank from stations where kind = 'water'
  union all select '{CITY}', '{CITY}（全市）', 1
) subjects order by rank, __value
"""


def _limits_values() -> str:
    """GB 3838-2002 Class Ⅰ–Ⅴ limits (river) as a VALUES list: (parameter, l1, …, l5)."""
    standard = water.GB3838_2002
    rows = [
        f"('{code}', {', '.join(str(v) for v in standard.limits_of(code, 'river')[0])})"
        for code in (*standard.lower_limits, *standard.upper_limits)
    ]
    return ",\n    ".join(rows)


SECTION_CLASS_COLUMNS = (
    "section",
    "code",
    "period",
    "water_class",
    "target_class",
    "meets_target",
    "determining_items",
    "main_pollutants",
    "days",
    "as_of",
    "statistic_rule",
)
_RULE_LABEL_SQL = (
    "case p.statistic_rule "
    + " ".join(f"when '{rule}' then '{label}'" for rule, label in water_statistics.RULE_LABEL_ZH.items())
    + " end as statistic_rule"
)

SECTION_CLASSES = Sql(
    f"""
select s.name as section, p.section as code, p.period, p.water_class, p.target_class, p.meets_target,
  array_to_string(p.determining_items, '、') as determining_items,
  array_to_string(p.main_pollutants, '、') as main_pollutants, p.days, p.as_of, {_RULE_LABEL_SQL}
from water_period p join stations s on s.code = p.section
where p.period = {RANGE_PERIOD}
order by p.water_class desc, p.section
""",
    SECTION_CLASS_COLUMNS,
    tables=("water_period",),
)

LATEST_SECTION_CLASS = Sql(
    f"""
select distinct on (p.section)
  s.name as section, p.period, p.water_class, s.latitude::float8 as latitude, s.longitude::float8 as longitude
from water_period p join stations s on s.code = p.section
where p.period ~ {MONTH_KEY}
order by p.section, p.period desc
""",
    ("section", "period", "water_class", "latitude", "longitude"),
    tables=("water_period",),
)


def class_share_by_month() -> Sql:
    return Sql(
        f"""
select {month_start("period")} as time, {published("share * 100", PERCENT.places)} as "Ⅰ–Ⅲ类比例", 100 as "目标"
from water_share
where period ~ {MONTH_KEY} and $__timeFilter({month_start("period")})
order by 1
""",
        ("time", "Ⅰ–Ⅲ类比例", "目标"),
        table_format=False,
        tables=("water_share",),
    )


def eco_flow_by_month() -> Sql:
    """The city's eco-flow attainment per month of the range, against the 95 % target."""
    return Sql(
        f"""
select {month_start("period")} as time, {published("share * 100", PERCENT.places)} as "生态流量满足率",
  {ECO_FLOW_TARGET} as "目标"
from eco_flow_period
where subject = '{CITY}' and period ~ {MONTH_KEY}
  and period between to_char({RANGE_FROM}, 'YYYY-MM') and to_char({RANGE_TO}, 'YYYY-MM')
order by 1
""",
        ("time", "生态流量满足率", "目标"),
        table_format=False,
        tables=("eco_flow_period",),
    )


def _class_table(title: str, query: Sql, panel_id: int, description: str) -> table.Panel:
    return with_queries(
        table.Panel()
        .id(panel_id)
        .title(title)
        .description(description)
        .span(24)
        .height(9)
        .override_by_name("water_class", [coloured_cells(), field_config("mappings", water_class_mappings())])
        .override_by_name("target_class", [field_config("mappings", water_class_mappings())])
        .override_by_name("statistic_rule", [field_config("displayName", "统计方法")])
        .thresholds(water_class_thresholds()),
        query,
    )


def build() -> Dashboard:
    return (
        envmon_board(UID, "水环境 Water quality", time_from="now-60d")
        .with_variable(sql_variable("subject", "断面", SUBJECTS))
        .with_variable(custom_variable("parameter", "指标", ("nh3n", "codmn", "do", "tp", "tn", "ph", "flow")))
        .with_panel(
            _class_table(
                "断面水质类别（所选时段）Section classes for the time range",
                SECTION_CLASSES,
                1,
                "A range inside one month shows that month (to date while it runs); any other range the "
                "year to date of its end. Class, determining items and target from the alerts service; 统计方法 = the "
                "rule that made the period means (automatic data: 2020 statistics rule; samples: 环办〔2011〕22号).",
            )
        )
        .with_panel(
            with_queries(
                geomap.Panel()
                .id(2)
                .title("断面水质地图 Sections coloured by latest monthly class")
                .span(12)
                .height(8)
                # The SDK types lat/lon as int; Grafana reads degrees as floats.
                .view(MapViewConfig().id("coords").lat(29.85).lon(120.5).zoom(9))  # type: ignore[arg-type]
                .basemap(MapLayerOptions().type("default").name("底图"))
                .tooltip(TooltipOptions().mode(TooltipMode.DETAILS))
                .layers(
                    [
                        MapLayerOptions()
                        .type("markers")
                        .name("sections")
                        .location(
                            FrameGeometrySource()
                            .mode(FrameGeometrySourceMode.COORDS)
                            .latitude("latitude")
                            .longitude("longitude")
                        )
                        .config({"size": {"fixed": 10}, "color": {"field": "water_class", "fixed": "green"}})
                    ]
                )
                .thresholds(water_class_thresholds())
                .color_scheme(by_thresholds()),
                LATEST_SECTION_CLASS,
            )
        )
        .with_panel(
            with_queries(
                timeseries.Panel()
                .id(3)
                .title("Ⅰ–Ⅲ类断面比例（月）Class Ⅰ–Ⅲ share by month vs 100 %")
                .span(12)
                .height(8)
                .unit("percent")
                .decimals(PERCENT.places),
                class_share_by_month(),
            )
        )
        .with_panel(
            with_queries(
                timeseries.Panel()
                .id(4)
                .title("指标趋势与类别限值 $parameter at $subject with class limits")
                .description("Hourly values (flag N); limits are GB 3838-2002 river limits.")
                .span(24)
                .height(8),
                Sql(
                    f"""
with limits(parameter, l1, l2, l3, l4, l5) as (values
    {_limits_values()})
select r.time, r.value as "$parameter", l.l2 as "Ⅱ类限值", l.l3 as "Ⅲ类限值", l.l4 as "Ⅳ类限值"
from readings r left join limits l on l.parameter = r.parameter
where r.station = '$subject' and r.parameter = '$parameter' and r.flag = 'N' and $__timeFilter(r.time)
order by r.time
""",
                    ("time", "$parameter", "Ⅱ类限值", "Ⅲ类限值", "Ⅳ类限值"),
                    table_format=False,
                ),
            )
        )
        .with_panel(
            with_queries(
                barchart.Panel().id(5).title("主要污染物出现次数 Main pollutants (section-months)").span(12).height(8),
                Sql(
                    f"""
select pollutant, count(*) as months
from water_period, unnest(main_pollutants) as pollutant
where period ~ {MONTH_KEY}
  and to_date(period, 'YYYY-MM') between {RANGE_FROM}::date - 31 and {RANGE_TO}::date
group by pollutant order by months desc
""",
                    ("pollutant", "months"),
                    tables=("water_period",),
                ),
            )
        )
        .with_panel(
            with_queries(
                timeseries.Panel()
                .id(6)
                .title("断面日均值 Daily means of $parameter at $subject (local days)")
                .description("Days bucket in Beijing time with time_bucket, never $__timeGroup (UTC).")
                .span(12)
                .height(8),
                Sql(
                    f"""
select time_bucket('1 day', time, {LOCAL}) as time, avg(value) as "$parameter"
from readings
where station = '$subject' and parameter = '$parameter' and flag = 'N' and $__timeFilter(time)
group by 1 order by 1
""",
                    ("time", "$parameter"),
                    table_format=False,
                ),
            )
        )
        .with_panel(
            _class_table(
                "$subject 逐月水质类别 Class by month against its target",
                Sql(
                    f"""
select s.name as section, p.section as code, p.period, p.water_class, p.target_class, p.meets_target,
  array_to_string(p.determining_items, '、') as determining_items,
  array_to_string(p.main_pollutants, '、') as main_pollutants, p.days, p.as_of, {_RULE_LABEL_SQL}
from water_period p join stations s on s.code = p.section
where p.section = '$subject' and p.period like {YEAR_MONTHS}
order by p.period
""",
                    SECTION_CLASS_COLUMNS,
                    tables=("water_period",),
                ),
                7,
                "Every month of the year the range ends in (the running month to date): class, determining "
                "items and whether it met the section's target.",
            )
        )
        .with_panel(
            with_queries(
                timeseries.Panel()
                .id(8)
                .title(f"全市生态流量满足程度（月）City eco-flow attainment by month vs {ECO_FLOW_TARGET} %")
                .description(
                    "Share of section-days whose daily mean flow reached the section's ecological minimum "
                    "(all sections pooled), per month of the range."
                )
                .span(12)
                .height(8)
                .unit("percent")
                .decimals(PERCENT.places)
                .min(0)
                .max(100)
                .draw_style(GraphDrawStyle.BARS)
                .thresholds(thresholds((None, "red"), (ECO_FLOW_TARGET, "green")))
                .thresholds_style(dashed_thresholds()),
                eco_flow_by_month(),
            )
        )
        .with_panel(
            with_queries(
                timeseries.Panel()
                .id(9)
                .title("$subject 日均流量与生态流量 Daily mean flow against the ecological minimum")
                .description("Daily mean flow (flag N, Beijing-time days) and the section's eco_flow_min_m3s.")
                .span(12)
                .height(8)
                .unit("m³/s"),
                Sql(
                    f"""
select {day_start("day")} as time, mean_flow as "日均流量", eco_flow_min as "生态流量"
from eco_flow_daily
where section = '$subject' and {local_days("day")}
order by 1
""",
                    ("time", "日均流量", "生态流量"),
                    table_format=False,
                    tables=("eco_flow_daily",),
                ),
            )
        )
        .with_panel(
            with_queries(
                statushistory.Panel()
                .id(10)
                .title("各断面生态流量日达标 Daily flow ÷ minimum by section")
                .description("Below 100 % the day missed the section's ecological minimum.")
                .span(24)
                .height(8)
                .unit("percent")
                .decimals(0)
                .show_value(VisibilityMode.NEVER)
                .thresholds(thresholds((None, "red"), (100, "green")))
                .color_scheme(by_thresholds()),
                Sql(
                    f"""
select {day_start("f.day")} as time, s.name as metric, round(100 * f.mean_flow / f.eco_flow_min, 1) as value
from eco_flow_daily f join stations s on s.code = f.section
where {local_days("f.day")}
order by 1, 2
""",
                    ("time", "metric", "value"),
                    table_format=False,
                    tables=("eco_flow_daily",),
                ),
            )
        )
        .build()
    )
