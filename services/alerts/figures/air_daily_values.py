"""The daily air values of every subject and local day, in one statement over ``subject_hours``.

``subject_hours`` (``services.alerts.figures.subject_hours``) holds each subject's 1-hour values: a row per
hour that has any, a column per pollutant, NULL when missing or not valid. For each (subject, local day) with at
least one such row the statement returns, NULL when not valid:

- ``pm25``, ``pm10``, ``so2``, ``no2``, ``co``: the daily mean of the day's 1-hour values, valid with ≥ 20 of them
  (GB 3095 Table 4; ``validity.daily_mean``);
- ``o3_8h``: the O3 MDA8 (HJ 663 §6.1; ``validity.mda8`` with the default ``HourLabel.ENDING`` and the GB 3095
  Class 2 limit): the 8-hour mean ending at e covers the day's hours e−8 … e−1 (hour i covering [i:00, i+1:00))
  and is valid with ≥ 6 values; the MDA8 is the largest valid mean ending 08:00 … 24:00 and is valid with
  ≥ 14 valid windows, or with fewer when it exceeds the limit. Windows never reach into another day;
- ``o3_1h_max``: the day's largest O3 1-hour value, held to the daily-mean coverage (≥ 20 hours) [?].

This is ``validity``'s rules done in SQL for speed, as ``hourly`` does for the 1-hour values: every
threshold comes from ``validity``, and every mean is ``exact_mean(total, count)``, the exact quotient or, when
it does not terminate within ``validity.NON_TERMINATING_PLACES`` places, rounded half-even there, as
``validity``'s means are (the MDA8 is the largest 8-hour mean so rounded, see ``_COMMON_COUNT``).
``tests/alerts/figures/test_air_daily_values.py`` proves the statement and ``validity`` agree on random hours.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date
from decimal import Decimal

from sqlalchemy import text

from services.alerts.context import Computation
from services.alerts.figures.hourly import SORT_MEMORY
from services.alerts.figures.subject_hours import SUBJECT_HOURS
from services.alerts.tables import AIR_DAILY_ITEMS
from services.standards import validity
from services.storage.engine import statement_settings

DAILY_MEAN_ITEMS = ("pm25", "pm10", "so2", "no2", "co")
OZONE = "o3"
DailyValues = dict[tuple[str, date], dict[str, Decimal | None]]

# validity takes the largest of the valid 8-hour means each rounded by _as_decimal. Rounding is monotone, so that
# is the rounded largest exact mean: the statement rounds once per day instead of once per window (a quarter of
# its time over a year). It compares the exact means as total · (_COMMON_COUNT / samples), an integer multiple of
# each: every count a valid window can have (6 … 8) divides _COMMON_COUNT, and
# exact_mean(total · (_COMMON_COUNT / samples), _COMMON_COUNT) is exact_mean(total, samples).
_COMMON_COUNT = math.lcm(*range(validity.MIN_HOURS_FOR_8H_MEAN, validity.HOURS_PER_8H_WINDOW + 1))


def _daily_mean(code: str) -> str:
    """The daily mean of pollutant ``code`` when valid."""
    return f"case when count({code}) >= :min_daily then exact_mean(sum({code}), count({code})) end as {code}"


def _ozone_hour(slot: int) -> str:
    return f"{OZONE}_h{slot}"


def _window(end: int) -> list[str]:
    """The O3 1-hour values of the 8-hour window ending at ``end``: the day's hours end − 8 … end − 1 (hour i
    covering [i:00, i+1:00))."""
    return [_ozone_hour(slot) for slot in range(end - validity.HOURS_PER_8H_WINDOW, end)]


_ENDS = validity.MDA8_WINDOW_ENDS  # HourLabel.ENDING: the 17 windows, ending 08:00 … 24:00, lie inside the day
# A day's O3 hours as columns, so that its 17 windows are sums across a row rather than a join or a sort.
_OZONE_HOURS = ", ".join(
    f"max({OZONE}) filter (where slot = {slot}) as {_ozone_hour(slot)}" for slot in range(validity.HOURS_PER_DAY)
)
_WINDOWS = ", ".join(
    f"num_nonnulls({', '.join(_window(end))}) as samples_{end}, "
    f"{' + '.join(f'coalesce({hour}, 0)' for hour in _window(end))} as total_{end}"
    for end in _ENDS
)
# The largest valid 8-hour mean compared by the exact means (see _COMMON_COUNT); greatest() skips the NULLs of
# windows that are not valid.
_LARGEST = ", ".join(
    f"case when samples_{end} >= :min_8h then total_{end} * ({_COMMON_COUNT} / samples_{end}) end" for end in _ENDS
)
_VALID_WINDOWS = " + ".join(f"(samples_{end} >= :min_8h)::integer" for end in _ENDS)

_DAILY_VALUES_SQL = f"""
    with days as (
        -- Every day with an hour row of the subject, whatever its pollutants.
        select subject, day, {", ".join(_daily_mean(code) for code in DAILY_MEAN_ITEMS)},
               count({OZONE}) as ozone_hours, max({OZONE}) as ozone_maximum, {_OZONE_HOURS}
        from {SUBJECT_HOURS}
        group by subject, day
    ), windows as (
        select *, {_WINDOWS} from days
    ), mda8 as (
        select *, exact_mean(greatest({_LARGEST}), {_COMMON_COUNT}) as maximum, {_VALID_WINDOWS} as valid_windows
        from windows
    ), daily as (
        select *, case when valid_windows >= :min_windows or maximum > :limit then maximum end as o3_8h,
               case when ozone_hours >= :min_daily then ozone_maximum end as o3_1h_max
        from mda8
    )
    select subject, day, {", ".join(AIR_DAILY_ITEMS)} from daily
"""

_PARAMETERS: Mapping[str, object] = {
    "min_daily": validity.MIN_HOURS_FOR_DAILY_MEAN,
    "min_8h": validity.MIN_HOURS_FOR_8H_MEAN,
    "min_windows": validity.MIN_WINDOWS_FOR_MDA8,
    "limit": validity.MDA8_LIMIT_CLASS_2,
}


def daily_values(job: Computation) -> DailyValues:
    """Each (subject, local day) of ``subject_hours``: its daily values ``AIR_DAILY_ITEMS``, None when not valid."""
    # For this statement only: its sorts and hash tables over a year's hours spill to disk at the default 4 MB, and
    # JIT compiling, which the planner's guesses about the temporary table's rows trigger, costs more than it saves.
    with statement_settings(job.connection, work_mem=SORT_MEMORY, jit="off"):
        rows = job.connection.execute(text(_DAILY_VALUES_SQL), dict(_PARAMETERS)).all()
    return {(subject, day): dict(zip(AIR_DAILY_ITEMS, values, strict=True)) for subject, day, *values in rows}
