"""融杭发展生态环境目标 (envmon-overview), the home board: where Shaoxing stands against the plan, on one screen.

One row per target: the current value at reporting precision beside its target, the trend by month,
and a projection to year end; then the sections on the Hangzhou line and the firing alerts. Each
panel links to the board its figures come from. The time range is the year to date (``now/y`` to
``now``); figures belong to the year the range ends in. docs/grafana.md shows the layout.
"""

from __future__ import annotations

from dataclasses import dataclass

from grafana_foundation_sdk.builders import dashboard, stat, table, timeseries
from grafana_foundation_sdk.builders.common import ReduceDataOptions
from grafana_foundation_sdk.models.common import BigValueColorMode, BigValueTextMode, GraphDrawStyle
from grafana_foundation_sdk.models.dashboard import Dashboard

from services.grafana.boards import air, alerts, waste, water
from services.grafana.colours import (
    aqi_thresholds,
    target_thresholds,
    thresholds,
    water_class_mappings,
    water_class_thresholds,
)
from services.grafana.panels import (
    board_url,
    by_thresholds,
    coloured_cells,
    dashed_thresholds,
    envmon_board,
    field_config,
    link,
    with_queries,
)
from services.grafana.sources import ALERTMANAGER_NAME
from services.grafana.sql import (
    CITY,
    MONTH_KEY,
    RANGE_TO,
    RANGE_YEAR,
    YEAR_MONTHS,
    Sql,
    month_start,
    published,
)
from services.standards.reporting import CONCENTRATION, PERCENT, TONNAGE

UID = "envmon-overview"
TITLE = "融杭发展生态环境目标"
# The sections on the city line with Hangzhou the plan names: 进化 (浦阳江, Zhuji–Xiaoshan),
# 杨汛桥 (西小江, Xiaoshan–Keqiao) and the 壶源江 section (Zhuji–Fuyang).
BOUNDARY_SECTIONS = ("PYJ-JINHUA", "XXJ-YANGXUN", "HYJ-ZHUJI-FUYANG")
ECO_FLOW_MISS = (100 - water.ECO_FLOW_TARGET) / 100
PM25 = CONCENTRATION["pm25"].places
O3 = CONCENTRATION["o3"].places


@dataclass(frozen=True, slots=True)
class TargetRow:
    """A plan target's row: its current-value query returns exactly one row."""

    key: str
    title: str
    board: str  # the domain board the row links to
    current: Sql


WATER_SHARE = TargetRow(
    "class_i_iii_share",
    "① 省控及以上断面Ⅰ–Ⅲ类水质比例 · 目标 100%",
    water.UID,
    Sql(
        f"""
select {published("max(share) * 100", PERCENT.places)} as value, 100 as target,
  max(sections_i_iii) as sections_i_iii, max(sections) as sections, max(as_of) as as_of
from water_share where period = {RANGE_YEAR}::text
""",
        ("value", "target", "sections_i_iii", "sections", "as_of"),
        tables=("water_share",),
    ),
)
GOOD_DAYS = TargetRow(
    "good_day_share",
    f"② 空气质量优良天数比例 · 目标 {air.GOOD_DAY_TARGET}%",
    air.UID,
    Sql(
        f"""
select {published("max(share) * 100", PERCENT.places)} as value, {air.GOOD_DAY_TARGET} as target,
  max(good_days) as good_days, max(valid_days) as valid_days, max(as_of) as as_of
from air_year where subject = '{CITY}' and year = {RANGE_YEAR}
""",
        ("value", "target", "good_days", "valid_days", "as_of"),
        tables=("air_year",),
    ),
)
ECO_FLOW = TargetRow(
    "eco_flow_share",
    f"③ 重点河流生态流量满足程度 · 目标 {water.ECO_FLOW_TARGET}%",
    water.UID,
    Sql(
        f"""
select {published("max(share) * 100", PERCENT.places)} as value, {water.ECO_FLOW_TARGET} as target,
  max(days_attained) as days_attained, max(days_with_data) as days_with_data, max(as_of) as as_of
from eco_flow_period where subject = '{CITY}' and period = {RANGE_YEAR}::text
""",
        ("value", "target", "days_attained", "days_with_data", "as_of"),
        tables=("eco_flow_period",),
    ),
)


def _change(figure: str, column: str, places: int) -> str:
    """This year minus the same days last year, rounded once from the exact figures; only when both are valid."""
    return (
        f"case when bool_and({figure}_valid and {figure}_valid_last_year) "
        f"then {published(f'max({column}) - max({column}_last_year)', places)} end"
    )


FALLING = TargetRow(
    "pm25_o3_falling",
    "④ PM2.5 与 O3 双控双减 · 目标 同比下降",
    air.UID,
    Sql(
        f"""
select {_change("pm25", "pm25_mean", PM25)} as pm25_change, {_change("o3", "o3_mda8_p90", O3)} as o3_change,
  {published("max(pm25_mean)", PM25)} as pm25, {published("max(pm25_mean_last_year)", PM25)} as pm25_last_year,
  {published("max(o3_mda8_p90)", O3)} as o3, {published("max(o3_mda8_p90_last_year)", O3)} as o3_last_year,
  max(as_of) as as_of
from air_year where subject = '{CITY}' and year = {RANGE_YEAR}
""",
        ("pm25_change", "o3_change", "pm25", "pm25_last_year", "o3", "o3_last_year", "as_of"),
        tables=("air_year",),
    ),
)
ZERO_LANDFILL = TargetRow(
    "zero_landfill",
    "⑤ 生活垃圾零填埋 · 目标 0",
    waste.UID,
    Sql(
        f"""
select {published("100 * sum(landfilled) / nullif(sum(household_total), 0)", PERCENT.places)} as value, 0 as target,
  {published("sum(landfilled)", TONNAGE.places)} as landfilled, max(day) as as_of
from waste_daily where extract(year from day) = {RANGE_YEAR}
""",
        ("value", "target", "landfilled", "as_of"),
        tables=("waste_daily",),
    ),
)
TARGETS = (WATER_SHARE, GOOD_DAYS, ECO_FLOW, FALLING, ZERO_LANDFILL)

# Panel ids: row n has id 10n, its panels 10n+1 …
ROW_IDS = {target.key: 10 * (n + 1) for n, target in enumerate(TARGETS)}
BOUNDARY_ROW = 60
ALERTS_ROW = 70


def _current(target: TargetRow, panel_id: int, fields: str, steps: dashboard.ThresholdsConfig) -> stat.Panel:
    """The row's first panel: the current value (coloured by status) beside its target."""
    return with_queries(
        stat.Panel()
        .id(panel_id)
        .title("当前（年累计）与目标 Now (year to date) and target")
        .span(6)
        .height(6)
        .links([link("打开看板 Open the board", board_url(target.board))])
        .reduce_options(ReduceDataOptions().values(False).calcs(["lastNotNull"]).fields(fields))
        .text_mode(BigValueTextMode.VALUE_AND_NAME)
        .color_mode(BigValueColorMode.BACKGROUND)
        .thresholds(steps)
        .color_scheme(by_thresholds())
        .override_by_name("target", [field_config("color", {"mode": "fixed", "fixedColor": "text"})]),
        target.current,
    )


def _trend(panel_id: int, title: str, query: Sql, unit: str, places: int) -> timeseries.Panel:
    return with_queries(
        timeseries.Panel()
        .id(panel_id)
        .title(title)
        .span(9)
        .height(6)
        .unit(unit)
        .decimals(places)
        .draw_style(GraphDrawStyle.BARS)
        .thresholds_style(dashed_thresholds()),
        query,
    )


def _projection(panel_id: int, title: str, query: Sql, fields: str, description: str, width: int = 9) -> stat.Panel:
    return with_queries(
        stat.Panel()
        .id(panel_id)
        .title(title)
        .description(description)
        .span(width)
        .height(6)
        .reduce_options(ReduceDataOptions().values(False).calcs(["lastNotNull"]).fields(fields))
        .text_mode(BigValueTextMode.VALUE_AND_NAME)
        .color_mode(BigValueColorMode.NONE),
        query,
    )


def _class_share_by_month() -> Sql:
    return Sql(
        f"""
select {month_start("period")} as time, {published("share * 100", PERCENT.places)} as "Ⅰ–Ⅲ类比例", 100 as "目标"
from water_share where period like {YEAR_MONTHS} and period ~ {MONTH_KEY}
order by 1
""",
        ("time", "Ⅰ–Ⅲ类比例", "目标"),
        table_format=False,
        tables=("water_share",),
    )


def _water_row(board: dashboard.Dashboard) -> dashboard.Dashboard:
    row = ROW_IDS[WATER_SHARE.key]
    return (
        board.with_row(dashboard.Row(WATER_SHARE.title).id(row))
        .with_panel(_current(WATER_SHARE, row + 1, "/^(value|target)$/", target_thresholds(100)))
        .with_panel(
            _trend(
                row + 2,
                "逐月比例 Share by month",
                _class_share_by_month(),
                "percent",
                PERCENT.places,
            ).thresholds(target_thresholds(100))
        )
        .with_panel(
            with_queries(
                table.Panel()
                .id(row + 3)
                .title("年末展望：各断面年累计类别 Year end: each section's class so far (worst first)")
                .description(
                    "The year's class is the class of the annual means, so the year to date is the best "
                    "estimate of the year end; sections worse than Ⅲ keep the share below 100 %."
                )
                .span(9)
                .height(6)
                .links([link("断面类别 Section classes", board_url(water.UID, viewPanel=1))])
                .thresholds(water_class_thresholds())
                .override_by_name("water_class", [coloured_cells(), field_config("mappings", water_class_mappings())])
                .override_by_name("target_class", [field_config("mappings", water_class_mappings())]),
                Sql(
                    f"""
select s.name as section, p.water_class, p.target_class, array_to_string(p.determining_items, '、') as determining_items
from water_period p join stations s on s.code = p.section
where p.period = {RANGE_YEAR}::text and s.control_level in ('national', 'provincial')
order by p.water_class desc, s.name
""",
                    ("section", "water_class", "target_class", "determining_items"),
                    tables=("water_period",),
                ),
            )
        )
    )


def _air_row(board: dashboard.Dashboard) -> dashboard.Dashboard:
    row = ROW_IDS[GOOD_DAYS.key]
    return (
        board.with_row(dashboard.Row(GOOD_DAYS.title).id(row))
        .with_panel(_current(GOOD_DAYS, row + 1, "/^(value|target)$/", target_thresholds(air.GOOD_DAY_TARGET)))
        .with_panel(
            _trend(
                row + 2,
                "逐月优良天数比例 Good-day share by month",
                Sql(
                    f"""
select {month_start("to_char(day, 'YYYY-MM')")} as time,
  {published("count(*) filter (where aqi <= 100)::numeric * 100 / nullif(count(aqi), 0)", PERCENT.places)}
    as "优良天数比例", {air.GOOD_DAY_TARGET} as "目标"
from air_daily where subject = '{CITY}' and extract(year from day) = {RANGE_YEAR}
group by 1 order by 1
""",
                    ("time", "优良天数比例", "目标"),
                    table_format=False,
                    tables=("air_daily",),
                ),
                "percent",
                PERCENT.places,
            ).thresholds(target_thresholds(air.GOOD_DAY_TARGET))
        )
        .with_panel(
            _projection(
                row + 3,
                "年末预测与剩余可承受非优良天数 Year-end projection and bad-day budget",
                Sql(
                    f"""
select {published("projected_share * 100", PERCENT.places)} as projected_share,
  {published("best_case_share * 100", PERCENT.places)} as best_case_share, remaining_bad_days, remaining_days,
  reachable
from air_year where subject = '{CITY}' and year = {RANGE_YEAR}
""",
                    ("projected_share", "best_case_share", "remaining_bad_days", "remaining_days", "reachable"),
                    tables=("air_year",),
                ),
                "/^(projected_share|remaining_bad_days|best_case_share)$/",
                "projected_share: the year end if the year-to-date rate of non-good days continues; "
                "remaining_bad_days: non-good days the rest of the year can take and still reach 90 %.",
                width=5,
            )
        )
        .with_panel(
            with_queries(
                stat.Panel()
                .id(row + 4)
                .title("昨日 AQI Yesterday's AQI")
                .description("The city's daily AQI in HJ 633's category colours, and its category.")
                .span(4)
                .height(6)
                .links([link("AQI 日历 AQI calendar", board_url(air.UID, viewPanel=1))])
                .reduce_options(ReduceDataOptions().values(False).calcs(["lastNotNull"]).fields("/^(aqi|category)$/"))
                .text_mode(BigValueTextMode.VALUE)
                .color_mode(BigValueColorMode.BACKGROUND)
                .thresholds(aqi_thresholds())
                .color_scheme(by_thresholds()),
                Sql(
                    f"""
select aqi, category, day from air_daily
where subject = '{CITY}' and day = (select max(day) from air_daily where subject = '{CITY}' and day < {RANGE_TO}::date)
""",
                    ("aqi", "category", "day"),
                    tables=("air_daily",),
                ),
            )
        )
    )


# The year end if every remaining section-day meets its minimum.
BEST_CASE = "(days_attained + remaining_days * sections)::numeric * 100 / (days_with_data + remaining_days * sections)"


def _eco_flow_row(board: dashboard.Dashboard) -> dashboard.Dashboard:
    row = ROW_IDS[ECO_FLOW.key]
    return (
        board.with_row(dashboard.Row(ECO_FLOW.title).id(row))
        .with_panel(_current(ECO_FLOW, row + 1, "/^(value|target)$/", target_thresholds(water.ECO_FLOW_TARGET)))
        .with_panel(
            _trend(row + 2, "逐月满足程度 Attainment by month", water.eco_flow_by_month(), "percent", PERCENT.places)
            .thresholds(target_thresholds(water.ECO_FLOW_TARGET))
            .links([link("生态流量 Eco-flow", board_url(water.UID, viewPanel=8))])
        )
        .with_panel(
            _projection(
                row + 3,
                "年末展望：剩余可承受未满足断面日 Year end: section-days that may still miss",
                Sql(
                    f"""
with city as (
  select days_with_data, days_attained,
    (make_date({RANGE_YEAR}, 12, 31) - as_of) as remaining_days,
    (select count(*) from stations where kind = 'water' and eco_flow_min_m3s is not null) as sections
  from eco_flow_period where subject = '{CITY}' and period = {RANGE_YEAR}::text
)
select floor((days_with_data + remaining_days * sections) * {ECO_FLOW_MISS})::int
    - (days_with_data - days_attained) as remaining_misses,
  {published(BEST_CASE, PERCENT.places)} as best_case_share,
  remaining_days, sections
from city
""",
                    ("remaining_misses", "best_case_share", "remaining_days", "sections"),
                    tables=("eco_flow_period",),
                ),
                "/^(remaining_misses|best_case_share)$/",
                "remaining_misses: section-days below their ecological minimum the rest of the year can take "
                f"and still reach {water.ECO_FLOW_TARGET} % (every remaining day of every section assumed measured); "
                "best_case_share: the year end if every remaining section-day meets its minimum.",
            )
        )
    )


def _falling_row(board: dashboard.Dashboard) -> dashboard.Dashboard:
    row = ROW_IDS[FALLING.key]
    monthly = "avg({column}) filter (where extract(year from day) = {year})"
    return (
        board.with_row(dashboard.Row(FALLING.title).id(row))
        .with_panel(
            _current(
                FALLING,
                row + 1,
                "/^(pm25_change|o3_change)$/",
                # A fall is green, no change orange, a rise red (the alerts fire above 0).
                thresholds((None, "green"), (0, "orange"), (0.5, "red")),
            ).description(
                "Year-to-date PM2.5 mean and O3 MDA8 90th percentile minus the same days last year (µg/m³), "
                "only when both years' figures are valid (GB 3095 completeness, pro rata)."
            )
        )
        .with_panel(
            _trend(
                row + 2,
                "逐月均值与去年同期 Monthly means against last year",
                Sql(
                    f"""
select {month_start("to_char(make_date(" + RANGE_YEAR + ", extract(month from day)::int, 1), 'YYYY-MM')")} as time,
  {published(monthly.format(column="pm25", year=RANGE_YEAR), PM25)} as "PM2.5",
  {published(monthly.format(column="pm25", year=f"{RANGE_YEAR} - 1"), PM25)} as "PM2.5 去年",
  {published(monthly.format(column="o3_8h", year=RANGE_YEAR), O3)} as "O3-8h",
  {published(monthly.format(column="o3_8h", year=f"{RANGE_YEAR} - 1"), O3)} as "O3-8h 去年"
from air_daily
where subject = '{CITY}' and extract(year from day) between {RANGE_YEAR} - 1 and {RANGE_YEAR}
  and extract(month from day) <= extract(month from {RANGE_TO})
group by 1 order by 1
""",
                    ("time", "PM2.5", "PM2.5 去年", "O3-8h", "O3-8h 去年"),
                    table_format=False,
                    tables=("air_daily",),
                ),
                air.CONCENTRATION,
                PM25,
            )
        )
        .with_panel(
            _projection(
                row + 3,
                "有效性：有效天数 / 应有天数 Validity: valid days / required",
                Sql(
                    f"""
select pm25_days, o3_days, days_required, pm25_valid, o3_valid, pm25_valid_last_year, o3_valid_last_year
from air_year where subject = '{CITY}' and year = {RANGE_YEAR}
""",
                    (
                        "pm25_days",
                        "o3_days",
                        "days_required",
                        "pm25_valid",
                        "o3_valid",
                        "pm25_valid_last_year",
                        "o3_valid_last_year",
                    ),
                    tables=("air_year",),
                ),
                "/^(pm25_days|o3_days|days_required)$/",
                "A year-to-date figure is compared with last year only when both have the valid days GB 3095 "
                "requires, pro rata (docs/alerts.md); otherwise the change stays empty.",
            )
        )
    )


def _landfill_row(board: dashboard.Dashboard) -> dashboard.Dashboard:
    row = ROW_IDS[ZERO_LANDFILL.key]
    return (
        board.with_row(dashboard.Row(ZERO_LANDFILL.title).id(row))
        .with_panel(
            _current(
                ZERO_LANDFILL, row + 1, "/^(value|landfilled|target)$/", thresholds((None, "green"), (0.001, "red"))
            )
        )
        .with_panel(
            _trend(
                row + 2,
                "逐月填埋量 Tonnes landfilled by month",
                Sql(
                    f"""
select {month_start("to_char(day, 'YYYY-MM')")} as time, {published("sum(landfilled)", TONNAGE.places)} as "填埋量"
from waste_daily where extract(year from day) = {RANGE_YEAR}
group by 1 order by 1
""",
                    ("time", "填埋量"),
                    table_format=False,
                    tables=("waste_daily",),
                ),
                waste.TONNES,
                TONNAGE.places,
            ).thresholds(thresholds((None, "green"), (0.001, "red")))
        )
        .with_panel(
            _projection(
                row + 3,
                "最近一次填埋 Last day with landfill",
                Sql(
                    f"""
select max(day) filter (where landfilled > 0) as last_landfill_day,
  count(*) filter (where landfilled > 0) as landfill_days, count(*) as days_reported
from waste_daily where extract(year from day) = {RANGE_YEAR}
""",
                    ("last_landfill_day", "landfill_days", "days_reported"),
                    tables=("waste_daily",),
                ),
                "/^(landfill_days|days_reported)$/",
                "Zero landfill holds for the year only if no further day has any.",
            )
        )
    )


def _boundary_row(board: dashboard.Dashboard) -> dashboard.Dashboard:
    codes = ", ".join(f"'{code}'" for code in BOUNDARY_SECTIONS)
    return board.with_row(
        dashboard.Row("跨界断面（与杭州交界）Sections on the Hangzhou line").id(BOUNDARY_ROW)
    ).with_panel(
        with_queries(
            table.Panel()
            .id(BOUNDARY_ROW + 1)
            .title("最新水质类别 Latest class: this month and the year to date")
            .span(24)
            .height(6)
            .thresholds(water_class_thresholds())
            .override_by_regexp(
                "^(month_class|year_class)$", [coloured_cells(), field_config("mappings", water_class_mappings())]
            )
            .override_by_name("target_class", [field_config("mappings", water_class_mappings())])
            .override_by_name(
                "section",
                [
                    field_config(
                        "links",
                        [
                            {
                                "title": "逐月类别 Class by month",
                                "url": board_url(water.UID, viewPanel=7)
                                + "&var-subject=${__data.fields.code}&${__url_time_range}",
                            }
                        ],
                    )
                ],
            ),
            Sql(
                f"""
select s.name as section, s.code, s.river, m.period as month, m.water_class as month_class,
  y.water_class as year_class, s.target_class, s.upstream_area, s.downstream_area
from stations s
left join lateral (
  select period, water_class from water_period
  where section = s.code and period like {YEAR_MONTHS} order by period desc limit 1
) m on true
left join water_period y on y.section = s.code and y.period = {RANGE_YEAR}::text
where s.code in ({codes})
order by s.code
""",
                (
                    "section",
                    "code",
                    "river",
                    "month",
                    "month_class",
                    "year_class",
                    "target_class",
                    "upstream_area",
                    "downstream_area",
                ),
                tables=("water_period",),
            ),
        )
    )


def _alerts_row(board: dashboard.Dashboard) -> dashboard.Dashboard:
    return board.with_row(dashboard.Row("正在告警 Firing alerts").id(ALERTS_ROW)).with_panel(
        alerts.firing_alerts(ALERTS_ROW + 1, "正在告警（Alertmanager）Firing alerts", states=("firing",))
        .span(24)
        .height(8)
        .links(
            [
                link("告警看板 Alerts board", board_url(alerts.UID)),
                dashboard.DashboardLink("Grafana 告警分组 Alert groups in Alertmanager").url(
                    f"/alerting/groups?alertmanager={ALERTMANAGER_NAME.replace(' ', '%20')}"
                ),
            ]
        )
    )


def build() -> Dashboard:
    board = envmon_board(UID, TITLE, time_from="now/y")
    for add in (_water_row, _air_row, _eco_flow_row, _falling_row, _landfill_row, _boundary_row, _alerts_row):
        board = add(board)
    return board.build()
