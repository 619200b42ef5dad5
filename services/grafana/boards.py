"""The five provisioned boards: Water, Air, Waste, Compensation, Operations.

Days are Beijing-time days: panels read the alerts service's daily and period tables (computed
in Beijing time) or bucket readings with ``time_bucket('1 day', time, 'Etc/GMT-8')``; never
Grafana's ``$__timeGroup``, which buckets in UTC (peers.md §1.6). Limits and colours come from
services.standards so a board cannot disagree with the KPI service.
"""

from __future__ import annotations

from services.grafana.model import Dashboard, Panel, PromQL, Sql, Variable
from services.standards import aqi, water
from services.standards.local_time import POSTGRES_ZONE

LOCAL = f"'{POSTGRES_ZONE}'"
CITY = "绍兴市"
WATER_CLASS_COLOURS = ("blue", "blue", "green", "yellow", "orange", "red")
ROMAN = ("Ⅰ", "Ⅱ", "Ⅲ", "Ⅳ", "Ⅴ")


def local_days(column: str) -> str:
    """A date column inside the dashboard's time range, compared as Beijing-time dates."""
    return (
        f"{column} between ($__timeFrom()::timestamptz at time zone {LOCAL})::date "
        f"and ($__timeTo()::timestamptz at time zone {LOCAL})::date"
    )


def day_start(column: str) -> str:
    """The instant a local date starts, for Grafana's time axis."""
    return f"({column}::timestamp at time zone {LOCAL})"


def month_start(period_column: str) -> str:
    return f"(to_date({period_column}, 'YYYY-MM')::timestamp at time zone {LOCAL})"


def _limits_values() -> str:
    """GB 3838-2002 Class Ⅰ–Ⅴ limits (river) as a VALUES list: (parameter, l1, …, l5)."""
    standard = water.GB3838_2002
    rows = [
        f"('{code}', {', '.join(str(v) for v in standard.limits_of(code, 'river')[0])})"
        for code in (*standard.lower_limits, *standard.upper_limits)
    ]
    return ",\n    ".join(rows)


def _water_class_thresholds() -> tuple[tuple[float | None, str], ...]:
    return tuple((None if n == 1 else n, colour) for n, colour in enumerate(WATER_CLASS_COLOURS, start=1))


def _aqi_thresholds() -> tuple[tuple[float | None, str], ...]:
    lows = [None, *(c.upper + 1 for c in aqi.CATEGORIES if c.upper is not None)]
    return tuple((low, c.colour_hex) for low, c in zip(lows, aqi.CATEGORIES, strict=True))


LATEST_SECTION_CLASS = """
select distinct on (p.section)
  s.name as section, p.period, p.label as class_label, p.water_class, p.target_class, p.meets_target,
  array_to_string(p.main_pollutants, '、') as main_pollutants, s.latitude::float8 as latitude,
  s.longitude::float8 as longitude, p.as_of
from water_period p join stations s on s.code = p.section
where p.period ~ '^[0-9]{4}-[0-9]{2}$'
order by p.section, p.period desc
"""
LATEST_COLUMNS = (
    "section",
    "period",
    "class_label",
    "water_class",
    "target_class",
    "meets_target",
    "main_pollutants",
    "latitude",
    "longitude",
    "as_of",
)

WATER = Dashboard(
    uid="envmon-water",
    title="水环境 Water quality",
    variables=(
        Variable(
            "station", "断面", "select code as __value, name as __text from stations where kind = 'water' order by code"
        ),
        Variable("parameter", "指标", "nh3n,codmn,do,tp,tn,ph,flow", custom=True),
    ),
    panels=(
        Panel(
            "各断面最新水质类别 Latest class by section",
            "table",
            (Sql(LATEST_SECTION_CLASS, LATEST_COLUMNS, tables=("water_period",)),),
            thresholds=_water_class_thresholds(),
            description="The latest month of each section, from the alerts service's period table.",
        ),
        Panel(
            "断面水质地图 Sections coloured by class",
            "geomap",
            (Sql(LATEST_SECTION_CLASS, LATEST_COLUMNS, tables=("water_period",)),),
            thresholds=_water_class_thresholds(),
            options={
                "view": {"id": "coords", "lat": 29.85, "lon": 120.5, "zoom": 9},
                "layers": [
                    {
                        "type": "markers",
                        "name": "sections",
                        "location": {"mode": "coords", "latitude": "latitude", "longitude": "longitude"},
                        "config": {"size": {"fixed": 10}, "color": {"field": "water_class", "fixed": "green"}},
                    }
                ],
            },
        ),
        Panel(
            "Ⅰ–Ⅲ类断面比例（月）Class Ⅰ–Ⅲ share by month vs 100 % target",
            "timeseries",
            (
                Sql(
                    f"""
select {month_start("period")} as time, share * 100 as "Ⅰ–Ⅲ类比例", 100 as "目标"
from water_share
where period ~ '^[0-9]{{4}}-[0-9]{{2}}$' and $__timeFilter({month_start("period")})
order by 1
""",
                    ("time", "Ⅰ–Ⅲ类比例", "目标"),
                    table_format=False,
                    tables=("water_share",),
                ),
            ),
            unit="percent",
            options={"legend": {"displayMode": "list", "placement": "bottom"}},
        ),
        Panel(
            "指标趋势与类别限值 $parameter at $station with class limits",
            "timeseries",
            (
                Sql(
                    f"""
with limits(parameter, l1, l2, l3, l4, l5) as (values
    {_limits_values()})
select r.time, r.value as "$parameter", l.l2 as "Ⅱ类限值", l.l3 as "Ⅲ类限值", l.l4 as "Ⅳ类限值"
from readings r left join limits l on l.parameter = r.parameter
where r.station = '$station' and r.parameter = '$parameter' and r.flag = 'N' and $__timeFilter(r.time)
order by r.time
""",
                    ("time", "$parameter", "Ⅱ类限值", "Ⅲ类限值", "Ⅳ类限值"),
                    table_format=False,
                ),
            ),
            width=24,
            description="Hourly values (flag N); limits are GB 3838-2002 river limits.",
        ),
        Panel(
            "主要污染物出现次数 Main pollutants (section-months)",
            "barchart",
            (
                Sql(
                    f"""
select pollutant, count(*) as months
from water_period, unnest(main_pollutants) as pollutant
where period ~ '^[0-9]{{4}}-[0-9]{{2}}$'
  and to_date(period, 'YYYY-MM') between ($__timeFrom()::timestamptz at time zone {LOCAL})::date - 31
      and ($__timeTo()::timestamptz at time zone {LOCAL})::date
group by pollutant order by months desc
""",
                    ("pollutant", "months"),
                    tables=("water_period",),
                ),
            ),
        ),
        Panel(
            "断面日均值 Daily means at $station (local days)",
            "timeseries",
            (
                Sql(
                    f"""
select time_bucket('1 day', time, {LOCAL}) as time, avg(value) as "$parameter"
from readings
where station = '$station' and parameter = '$parameter' and flag = 'N' and $__timeFilter(time)
group by 1 order by 1
""",
                    ("time", "$parameter"),
                    table_format=False,
                ),
            ),
            description="Days bucket in Beijing time with time_bucket, never $__timeGroup (UTC).",
        ),
    ),
)


def _against_last_year(title: str, column: str, label: str) -> Panel:
    """This year's daily figure and last year's, shifted one year forward onto the same axis."""
    shifted = "(day + interval '1 year')::date"
    return Panel(
        title,
        "timeseries",
        (
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
        ),
        unit="conμgm3",
    )


AIR_SUBJECTS = (
    f"select '{CITY}' as __value, '{CITY}（全市）' as __text union all "
    "select code, name from stations where kind = 'air'"
)
WEEKDAYS = ("一", "二", "三", "四", "五", "六", "日")

AIR = Dashboard(
    uid="envmon-air",
    title="空气质量 Air quality",
    time_from="now-1y",
    variables=(Variable("subject", "城市/站点", AIR_SUBJECTS),),
    panels=(
        Panel(
            "AQI 日历 Daily AQI calendar (rows: weekday, columns: week)",
            "status-history",
            (
                Sql(
                    f"""
select {day_start("date_trunc('week', day)::date")} as time,
  {
                        ", ".join(
                            f'max(aqi) filter (where extract(isodow from day) = {n}) as "周{d}"'
                            for n, d in enumerate(WEEKDAYS, start=1)
                        )
                    }
from air_daily
where subject = '$subject' and {local_days("day")}
group by 1 order by 1
""",
                    ("time", *(f"周{d}" for d in WEEKDAYS)),
                    table_format=False,
                    tables=("air_daily",),
                ),
            ),
            width=24,
            height=9,
            thresholds=_aqi_thresholds(),
            options={"showValue": "never", "rowHeight": 0.9},
        ),
        Panel(
            "年度优良天数比例 YTD good-day share vs 90 % and bad-day budget",
            "stat",
            (
                Sql(
                    f"""
select share * 100 as good_day_share, 90 as target, good_days, valid_days, remaining_bad_days, as_of
from air_year
where subject = '$subject'
  and year = extract(year from $__timeTo()::timestamptz at time zone {LOCAL})
""",
                    ("good_day_share", "target", "good_days", "valid_days", "remaining_bad_days", "as_of"),
                    tables=("air_year",),
                ),
            ),
            options={
                "reduceOptions": {"calcs": ["lastNotNull"], "fields": "/^(good_day_share|target|remaining_bad_days)$/"}
            },
            description="remaining_bad_days: how many more non-good days the year can take and still reach 90 %.",
        ),
        _against_last_year("PM2.5 与去年同期 PM2.5 against last year", "pm25", "PM2.5"),
        _against_last_year("O3-8h 与去年同期 O3 (8-hour) against last year", "o3_8h", "O3-8h"),
        Panel(
            "首要污染物天数 Days by primary pollutant",
            "barchart",
            (
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
            ),
        ),
        Panel(
            "小时 O3 与 PM2.5 Hourly O3 and PM2.5 (readings)",
            "timeseries",
            (
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
            ),
            unit="conμgm3",
            description="Mean over the city's stations; shows the diurnal O3 cycle.",
        ),
    ),
)

ROUTES = ("incinerated", "food_waste", "recycled", "landfilled")

WASTE = Dashboard(
    uid="envmon-waste",
    title="固体废物 Solid waste",
    panels=(
        Panel(
            "各处理方式日处理量 Tonnes by route",
            "barchart",
            (
                Sql(
                    f"""
select {day_start("day")} as time, {", ".join(ROUTES)}
from waste_daily where {local_days("day")} order by 1
""",
                    ("time", *ROUTES),
                    table_format=False,
                    tables=("waste_daily",),
                ),
            ),
            width=24,
            unit="masst",
            options={"stacking": "normal", "xTickLabelSpacing": 100},
        ),
        Panel(
            "原生垃圾填埋比例 Landfill share vs the zero target",
            "stat",
            (
                Sql(
                    f"""
select coalesce(100 * sum(landfilled) / nullif(sum(household_total), 0), 0) as landfill_share, 0 as target
from waste_daily where {local_days("day")}
""",
                    ("landfill_share", "target"),
                    tables=("waste_daily",),
                ),
            ),
            unit="percent",
            thresholds=((None, "green"), (0.001, "red")),
        ),
        Panel(
            "设施负荷率 Facility load (mean of days)",
            "bargauge",
            (
                Sql(
                    f"""
select s.name as facility, avg(f.load_ratio) * 100 as load_percent
from waste_facility_daily f join stations s on s.code = f.facility
where {local_days("f.day")}
group by s.name order by s.name
""",
                    ("facility", "load_percent"),
                    tables=("waste_facility_daily",),
                ),
            ),
            unit="percent",
            thresholds=((None, "green"), (90, "orange"), (100, "red")),
        ),
        Panel(
            "各设施日吨数 Daily tonnes by facility (readings, local days)",
            "timeseries",
            (
                Sql(
                    f"""
select time_bucket('1 day', time, {LOCAL}) as time, station, sum(value) as tonnes
from readings
where station like 'WST-%' and parameter in ('incinerated', 'food_waste', 'recycled', 'landfilled')
  and flag = 'N' and $__timeFilter(time)
group by 1, 2 order by 1
""",
                    ("time", "station", "tonnes"),
                    table_format=False,
                ),
            ),
            width=24,
            unit="masst",
        ),
    ),
)

# Positive amounts: downstream pays upstream (services/compensation/engine.py); latest revision per period.
LATEST_STATEMENTS = """
select distinct on (agreement_id, period)
  agreement_id as agreement, period, revision, status, amount,
  case when amount > 0 then '下游补偿上游 downstream pays upstream'
       when amount < 0 then '上游补偿下游 upstream pays downstream'
       when amount = 0 then '无 none' else '数据不足 insufficient data' end as direction,
  created_at
from compensation_statements
order by agreement_id, period, revision desc
"""

COMPENSATION = Dashboard(
    uid="envmon-compensation",
    title="生态补偿 Eco-compensation",
    time_from="now-2y",
    panels=(
        Panel(
            "补偿结算单 Statements per agreement (latest revision)",
            "table",
            (
                Sql(
                    LATEST_STATEMENTS,
                    ("agreement", "period", "revision", "status", "amount", "direction", "created_at"),
                    tables=("compensation_statements",),
                ),
            ),
            width=24,
            unit="currencyCNY",
        ),
        Panel(
            "补偿金额 Amount by period (positive: downstream pays upstream)",
            "barchart",
            (
                Sql(
                    f"""
select period, agreement, amount from ({LATEST_STATEMENTS}) latest order by period
""",
                    ("period", "agreement", "amount"),
                    tables=("compensation_statements",),
                ),
            ),
            width=24,
            unit="currencyCNY",
        ),
    ),
)

OPERATIONS = Dashboard(
    uid="envmon-operations",
    title="运行监控 Operations",
    time_from="now-6h",
    panels=(
        Panel(
            "入库速率 Ingest rate (readings/s)",
            "timeseries",
            (
                PromQL("sum(rate(envmon_ingest_readings_stored_total[5m]))", "stored"),
                PromQL("sum by (topic_kind) (rate(envmon_ingest_messages_received_total[5m]))", "{{topic_kind}}"),
            ),
            unit="ops",
        ),
        Panel(
            "拒收原因 Rejects by reason",
            "timeseries",
            (
                PromQL("sum by (reason) (rate(envmon_ingest_rejected_total[5m]))", "ingest {{reason}}"),
                PromQL("sum by (reason) (rate(envmon_hj212_rejects_total[5m]))", "hj212 {{reason}}"),
            ),
            unit="ops",
        ),
        Panel(
            "重复读数 Duplicates (readings/s)",
            "timeseries",
            (PromQL("sum(rate(envmon_ingest_readings_duplicate_total[5m]))", "duplicates"),),
            unit="ops",
        ),
        Panel(
            "积压 Lag: oldest unacknowledged message",
            "timeseries",
            (
                PromQL("max(envmon_ingest_oldest_unacked_message_age_seconds)", "oldest unacked"),
                PromQL("sum(rate(envmon_ingest_commit_failures_total[5m]))", "commit failures/s"),
            ),
            unit="s",
        ),
        Panel("告警数 Alerts in Alertmanager", "stat", (PromQL("sum by (state) (alertmanager_alerts)", "{{state}}"),)),
        Panel("服务在线 Targets up", "stat", (PromQL("up", "{{job}}"),), thresholds=((None, "red"), (1, "green"))),
    ),
)

DASHBOARDS = (WATER, AIR, WASTE, COMPENSATION, OPERATIONS)
