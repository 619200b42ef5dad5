"""固体废物 Solid waste (envmon-waste): tonnes by route, the landfill share against zero, facility load.

Panel ids are a contract: alert rules link to 2 (docs/alerts.md "Evidence panels").
"""

from __future__ import annotations

from grafana_foundation_sdk.builders import barchart, bargauge, dashboard, stat, timeseries
from grafana_foundation_sdk.models.common import StackingMode
from grafana_foundation_sdk.models.dashboard import Dashboard

from services.grafana.colours import thresholds
from services.grafana.panels import by_thresholds, envmon_board, with_queries
from services.grafana.sql import CITY, LOCAL, Sql, day_start, local_days, published
from services.standards.reporting import PERCENT, TONNAGE

UID = "envmon-waste"
ROUTES = ("incinerated", "food_waste", "recycled", "landfilled")
TONNES = "masst"

LANDFILL = Sql(
    f"""
select {published("100 * sum(landfilled) / nullif(sum(household_total), 0)", PERCENT.places)} as landfill_share,
  {published("sum(landfilled)", TONNAGE.places)} as landfilled, 0 as target
from waste_daily where {local_days("day")}
""",
    ("landfill_share", "landfilled", "target"),
    tables=("waste_daily",),
)


def build() -> Dashboard:
    return (
        envmon_board(UID, "固体废物 Solid waste", time_from="now-60d")
        # Waste figures are the city's: alert links set var-subject to the city, which this (hidden) constant holds.
        .with_variable(dashboard.ConstantVariable("subject").label("城市").value(CITY))
        .with_panel(
            with_queries(
                barchart.Panel()
                .id(1)
                .title("各处理方式日处理量 Tonnes by route")
                .span(24)
                .height(8)
                .unit(TONNES)
                .stacking(StackingMode.NORMAL)
                .x_tick_label_spacing(100),
                Sql(
                    f"""
select {day_start("day")} as time, {", ".join(ROUTES)}
from waste_daily where {local_days("day")} order by 1
""",
                    ("time", *ROUTES),
                    table_format=False,
                    tables=("waste_daily",),
                ),
            )
        )
        .with_panel(
            with_queries(
                stat.Panel()
                .id(2)
                .title("原生垃圾填埋比例 Landfill share of household waste vs the zero target")
                .description("Over the time range: landfilled ÷ household waste collected, and the tonnes landfilled.")
                .span(12)
                .height(8)
                .thresholds(thresholds((None, "green"), (0.001, "red")))
                .color_scheme(by_thresholds()),
                LANDFILL,
            )
        )
        .with_panel(
            with_queries(
                bargauge.Panel()
                .id(3)
                .title("设施负荷率 Facility load (mean of days)")
                .span(12)
                .height(8)
                .unit("percent")
                .thresholds(thresholds((None, "green"), (90, "orange"), (100, "red"))),
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
            )
        )
        .with_panel(
            with_queries(
                timeseries.Panel()
                .id(4)
                .title("各设施日吨数 Daily tonnes by facility (readings, local days)")
                .span(24)
                .height(8)
                .unit(TONNES),
                Sql(
                    f"""
select time_bucket('1 day', time, {LOCAL}) as time, station, sum(value) as tonnes
from readings
where station like 'WST-%' and parameter in ({", ".join(f"'{r}'" for r in ROUTES)})
  and flag = 'N' and $__timeFilter(time)
group by 1, 2 order by 1
""",
                    ("time", "station", "tonnes"),
                    table_format=False,
                ),
            )
        )
        .build()
    )
