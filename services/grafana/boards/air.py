"""空气质量 Air quality (envmon-air): the AQI calendar, the good-day share and budget, PM2.5 and O3 against
last year, hourly concentrations and the hourly AQI (heavy-pollution episodes).

Panel ids are a contract: alert rules link to 1, 2, 3, 4 and 7 (docs/alerts.md "Evidence panels").
``$subject`` is the city or an air station code.
"""

from __future__ import annotations

from grafana_foundation_sdk.builders import barchart, stat, statushistory, timeseries
from grafana_foundation_sdk.builders.common import ReduceDataOptions
from grafana_foundation_sdk.models.common import VisibilityMode
from grafana_foundation_sdk.models.dashboard import Dashboard

from services.grafana.colours import aqi_thresholds
from services.grafana.panels import by_thresholds, envmon_board, sql_variable, with_queries
from services.grafana.sql import CITY, RANGE_YEAR, Sql, day_start, local_days, published
from services.standards.reporting import PERCENT

UID = "envmon-air"
GOOD_DAY_TARGET = 90  # percent: the plan's 优良天数比例
CONCENTRATION = "conμgm3"
SUBJECTS = (
    f"select '{CITY}' as __value, '{CITY}（全市）' as __text union all "
    "select code, name from stations where kind = 'air'"
)
WEEKDAYS = ("一", "二", "三", "四", "五", "六", "日")


def _against_last_year(panel_id: int, title: str, column: str, label: str) -> timeseries.Panel:
    """This year's daily figure and last year's, shifted one year forward onto the same axis."""
    shifted = "(day + interval '1 year')::date"
    return with_queries(
        timeseries.Panel().id(panel_id).title(title).span(12).height(8).unit(CONCENTRATION),
        Sql(
            f"""
select {day_start("day")} as time, {column} as "{label}"
from air_daily where subject = '$subject' and {local_days("day")} order by 1
""",
            ("time", label),
            table_format=False,
            tables=("air_daily",),
        ),
        Sql(
            f"""
select {day_start(shifted)} as time, {column} as "{label} 去年"
from air_daily where subject = '$subject' and {local_days(shifted)} order by 1
""",
            ("time", f"{label} 去年"),
            table_format=False,
            tables=("air_daily",),
        ),
    )


CALENDAR = Sql(
    f"""
select {day_start("date_trunc('week', day)::date")} as time,
  {", ".join(f'max(aqi) filter (where extract(isodow from day) = {n}) as "周{d}"' for n, d in enumerate(WEEKDAYS, 1))}
from air_daily
where subject = '$subject' and {local_days("day")}
group by 1 order by 1
""",
    ("time", *(f"周{d}" for d in WEEKDAYS)),
    table_format=False,
    tables=("air_daily",),
)

GOOD_DAY_SHARE = Sql(
    f"""
select {published("share * 100", PERCENT.places)} as good_day_share, {GOOD_DAY_TARGET} as target,
  remaining_bad_days, {published("projected_share * 100", PERCENT.places)} as projected_share,
  good_days, valid_days, as_of
from air_year
where subject = '$subject' and year = {RANGE_YEAR}
""",
    ("good_day_share", "target", "remaining_bad_days", "projected_share", "good_days", "valid_days", "as_of"),
    tables=("air_year",),
)


def build() -> Dashboard:
    return (
        envmon_board(UID, "空气质量 Air quality", time_from="now-1y")
        .with_variable(sql_variable("subject", "城市/站点", SUBJECTS))
        .with_panel(
            with_queries(
                statushistory.Panel()
                .id(1)
                .title("AQI 日历 Daily AQI calendar (rows: weekday, columns: week)")
                .description("Colours are HJ 633's AQI category colours.")
                .span(24)
                .height(9)
                .show_value(VisibilityMode.NEVER)
                .row_height(0.9)
                .thresholds(aqi_thresholds())
                .color_scheme(by_thresholds()),
                CALENDAR,
            )
        )
        .with_panel(
            with_queries(
                stat.Panel()
                .id(2)
                .title(f"年度优良天数比例 YTD good-day share vs {GOOD_DAY_TARGET} % and bad-day budget")
                .description(
                    "remaining_bad_days: how many more non-good days the year can take and still reach 90 %; "
                    "projected_share: the year end if the year-to-date rate of non-good days continues."
                )
                .span(12)
                .height(8)
                .reduce_options(
                    ReduceDataOptions()
                    .calcs(["lastNotNull"])
                    .fields("/^(good_day_share|target|remaining_bad_days|projected_share)$/")
                ),
                GOOD_DAY_SHARE,
            )
        )
        .with_panel(_against_last_year(3, "PM2.5 与去年同期 PM2.5 against last year", "pm25", "PM2.5"))
        .with_panel(_against_last_year(4, "O3-8h 与去年同期 O3 (8-hour) against last year", "o3_8h", "O3-8h"))
        .with_panel(
            with_queries(
                barchart.Panel().id(5).title("首要污染物天数 Days by primary pollutant").span(12).height(8),
                Sql(
                    f"""
select pollutant, count(*) as days
from air_daily, unnest(primary_pollutants) as pollutant
where subject = '$subject' and {local_days("day")}
group by pollutant order by days desc
""",
                    ("pollutant", "days"),
                    tables=("air_daily",),
                ),
            )
        )
        .with_panel(
            with_queries(
                timeseries.Panel()
                .id(6)
                .title("小时 O3 与 PM2.5 Hourly O3 and PM2.5 (readings)")
                .description("Mean over the city's stations; shows the diurnal O3 cycle.")
                .span(12)
                .height(8)
                .unit(CONCENTRATION),
                Sql(
                    """
select time, avg(value) filter (where parameter = 'o3') as "O3", avg(value) filter (where parameter = 'pm25') as "PM2.5"
from readings
where station like 'AIR-%' and parameter in ('o3', 'pm25') and flag = 'N' and $__timeFilter(time)
group by time order by time
""",
                    ("time", "O3", "PM2.5"),
                    table_format=False,
                ),
            )
        )
        .with_panel(
            with_queries(
                timeseries.Panel()
                .id(7)
                .title("小时AQI Hourly AQI (重污染天气 above 200)")
                .description(
                    "HJ 633's real-time AQI of $subject, hour by hour; the city above 200 for 24 hours is a "
                    "heavy-pollution episode (rule heavy_pollution_episode)."
                )
                .span(12)
                .height(8)
                .thresholds(aqi_thresholds())
                .color_scheme(by_thresholds()),
                Sql(
                    """
select hour as time, aqi as "AQI"
from air_hourly where subject = '$subject' and aqi is not null and $__timeFilter(hour)
order by 1
""",
                    ("time", "AQI"),
                    table_format=False,
                    tables=("air_hourly",),
                ),
            )
        )
        .build()
    )
