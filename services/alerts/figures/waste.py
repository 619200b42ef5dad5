"""Waste: daily tonnes by route, landfill share, industrial utilisation, facility load, all in SQL.

Waste readings are rates in tonnes per day, so a facility's figure for a day is the mean of its
valid (flag N) readings of that parameter in the local day: one daily report gives that report,
hourly reports of the day's running rate give their mean. City totals sum the facilities.

- landfill share = landfilled / (incinerated + food_waste + recycled + landfilled)
- utilisation rate = industrial_utilized / industrial_generated
- facility load = the facility's processed tonnes (every route and industrial_utilized/_disposed;
  industrial_generated is an amount produced, not processed) / capacity_t_per_day
"""

from __future__ import annotations

from datetime import date

from services.alerts.context import Computation
from services.alerts.figures.publication import PUBLISHED_DAY_SQL, publish_select
from services.alerts.tables import INDUSTRIAL_WASTE, WASTE_ROUTES, waste_daily, waste_facility_daily

PROCESSED = (*WASTE_ROUTES, "industrial_utilized", "industrial_disposed")

_PER_FACILITY = """
    select station as facility, (time at time zone :tz)::date as day, parameter,
           trim_scale(sum(value::numeric) / count(*)) as tonnes
    from readings join stations on stations.code = readings.station and stations.kind = 'waste'
    where flag = 'N' and time >= :start and time < :end
    group by 1, 2, 3
"""


def _total(code: str) -> str:
    return f"coalesce(sum(tonnes) filter (where parameter = '{code}'), 0)"


_HOUSEHOLD = " + ".join(_total(code) for code in WASTE_ROUTES)

_WASTE_DAILY_SQL = f"""
    select day, {", ".join(_total(code) for code in WASTE_ROUTES)},
        {_HOUSEHOLD},
        {_total("landfilled")} / nullif({_HOUSEHOLD}, 0),
        {", ".join(_total(code) for code in INDUSTRIAL_WASTE)},
        {_total("industrial_utilized")} / nullif({_total("industrial_generated")}, 0),
        {PUBLISHED_DAY_SQL}
    from ({_PER_FACILITY}) per_facility
    group by day
"""

_FACILITY_SQL = f"""
    select facility, day, sum(tonnes), capacity_t_per_day, sum(tonnes) / nullif(capacity_t_per_day, 0),
           {PUBLISHED_DAY_SQL}
    from ({_PER_FACILITY}) per_facility join stations on stations.code = per_facility.facility
    where parameter in ({", ".join(f"'{code}'" for code in PROCESSED)})
    group by facility, day, capacity_t_per_day
"""


def compute_waste_days(job: Computation, first: date, last: date) -> int:
    params = job.bounds(first, last)
    return publish_select(job.connection, waste_daily, _WASTE_DAILY_SQL, params) + publish_select(
        job.connection, waste_facility_daily, _FACILITY_SQL, params
    )
