"""Response and request bodies of the KPI and alerts API, as they appear in /openapi.json.

Figures are strings in plain decimal notation, published at their reporting precision (or exact with
``?exact=true``; ``figures`` says which). Fields holding a percentage end in ``_percent``.
Concentrations are in the unit of their parameter (µg/m³, CO mg/m³; water mg/L, pH dimensionless).
"""

from __future__ import annotations

from datetime import date, datetime
from itertools import pairwise
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from services.alerts.api.params import Comment, Name
from services.alerts.periods import FIRST_YEAR, LAST_YEAR
from services.alerts.rules.definitions import Severity
from services.alerts.rules.lifecycle import State
from services.standards.water_statistics import StatisticRule, Tier

Figures = Literal["published", "exact"]
FIGURES = Field(description="`published`: GB/T 8170 reporting precision; `exact`: as computed (`?exact=true`)")
PERCENT = Field(description="Percent (0.1 % when published); null without data", examples=["85.7"])
TONNES = Field(description="Tonnes (0.1 t when published); null without data", examples=["1234.5"])


class Problem(BaseModel):
    detail: str = Field(examples=["no alert 3f…"])


class Health(BaseModel):
    status: Literal["ok", "database unavailable"]


class Publication(BaseModel):
    published_at: datetime | None = Field(
        description="When the period ended and the figure became final; null while provisional"
    )
    revision: int = Field(description="0 = never revised; raised by late data after publication")
    revised_at: datetime | None


class ClassShare(Publication):
    as_of: date = Field(description="Last day included")
    sections: int = Field(description="Sections with a class, in the share's control levels")
    sections_i_iii: int
    share_percent: str | None = PERCENT
    statistic_rule: StatisticRule | Literal["mixed"] | None = Field(
        description="The rule of the counted sections' period means (`mixed`: they differ); null before recorded",
    )


class ItemStatistic(BaseModel):
    rule: StatisticRule = Field(
        description="`sample-mean-2011`: 环办〔2011〕22号, mean of the period's laboratory samples; "
        "`daily-values-2020`: 2020 statistics rule, mean of the valid daily values of automatic data"
    )
    tier: Tier = Field(description="Source the value was taken from")
    count: int = Field(description="What the rule counts: valid daily values (automatic) or samples")
    required: int = Field(description="Minimum count of the rule for the period (docs/standards.md; some [?])")
    meets_minimum: bool


class SectionClass(Publication):
    section: str
    name: str
    control_level: str | None
    waterbody: Literal["river", "lake"]
    as_of: date
    days: int = Field(description="Days with data")
    water_class: int = Field(ge=1, le=6, description="GB 3838-2002 class, 6 = 劣Ⅴ")
    label: str = Field(examples=["Ⅲ"])
    target_class: int | None
    meets_target: bool | None
    main_pollutants: list[str]
    determining_items: list[str]
    means: dict[str, str] = Field(
        description="Period mean per GB 3838 item, at the item's reporting precision (TP by waterbody)",
        examples=[{"do": "6.8", "nh3n": "0.52", "tp": "0.12", "codmn": "4.1", "ph": "7.35"}],
    )
    statistic_rule: StatisticRule | Literal["mixed"] | None = Field(
        description="The rule that made the period means (`mixed`: items differ, see item_statistics); "
        "null on figures computed before rules were recorded",
        examples=["daily-values-2020"],
    )
    item_statistics: dict[str, ItemStatistic] | None = Field(description="Per item: rule, source and data count")
    class_basis: Literal["published", "exact"] | None = Field(
        description="The value the class was decided on: each mean as published (at its reporting precision) or "
        "the exact mean (docs/standards.md); null on figures computed before it was recorded",
        examples=["published"],
    )


class ComparedSource(BaseModel):
    station: str = Field(examples=["XXJ-YANGXUN-XS"])
    tier: Literal["automatic", "joint-manual", "manual"]
    party: str | None = Field(description="Party code of the station's operator", examples=["xiaoshan"])
    party_name: str | None = Field(examples=["萧山区"])
    mean: str = Field(description="Mean over the paired days, in the indicator's unit", examples=["0.55"])


class SourceComparison(Publication):
    """Two sources at one boundary section compared over the days both have (比对)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "section": "XXJ-YANGXUN",
                    "name": "西小江杨汛大桥(金山村)断面",
                    "period": "2026-06",
                    "as_of": "2026-06-30",
                    "parameter": "nh3n",
                    "unit": "mg/L",
                    "figures": "published",
                    "first": {
                        "station": "XXJ-YANGXUN",
                        "tier": "automatic",
                        "party": "keqiao",
                        "party_name": "柯桥区",
                        "mean": "0.82",
                    },
                    "second": {
                        "station": "XXJ-YANGXUN-XS",
                        "tier": "automatic",
                        "party": "xiaoshan",
                        "party_name": "萧山区",
                        "mean": "0.55",
                    },
                    "paired_days": 30,
                    "difference": "0.27",
                    "relative_deviation_percent": "39.3",
                    "tolerance": "±0.04 (< 0.2) 或 ±20 %",
                    "allowed": "0.14",
                    "agrees": False,
                    "parties": ["keqiao", "xiaoshan"],
                    "published_at": "2026-07-01T00:00:05+08:00",
                    "revision": 0,
                    "revised_at": None,
                }
            ]
        }
    )

    section: str
    name: str
    period: str = Field(description="The month (YYYY-MM)")
    as_of: date = Field(description="Last day included")
    parameter: str
    unit: str
    figures: Figures = FIGURES
    first: ComparedSource
    second: ComparedSource = Field(description="A laboratory source (joint or manual samples) is always second")
    paired_days: int = Field(ge=1, description="Days on which both sources have a value; the means use only these")
    difference: str = Field(description="First mean minus second mean")
    relative_deviation_percent: str | None = Field(
        description="The difference against the laboratory side, or against the mean of two automatic means; "
        "null when that is 0"
    )
    tolerance: str | None = Field(description="The indicator's tolerance as configured; null when none is set")
    allowed: str | None = Field(description="The largest difference that agrees at this level")
    agrees: bool | None = Field(description="Within the tolerance; null when no tolerance is set")
    parties: list[str] = Field(description="Party codes behind the two sources")


class EcoFlowFigure(Publication):
    subject: str = Field(description="Section code, or the city for all sections pooled")
    as_of: date
    days_with_data: int
    days_attained: int
    share_percent: str | None = PERCENT


class EcoFlow(BaseModel):
    city: EcoFlowFigure | None
    sections: list[EcoFlowFigure]


class WaterKpi(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "period": "2026-10",
                    "kind": "month",
                    "figures": "published",
                    "class_i_iii": {
                        "as_of": "2026-10-31",
                        "sections": 7,
                        "sections_i_iii": 6,
                        "share_percent": "85.7",
                        "published_at": "2026-11-01T00:00:00+08:00",
                        "revision": 0,
                        "revised_at": None,
                    },
                    "sections": [],
                    "eco_flow": {"city": None, "sections": []},
                }
            ]
        }
    )

    period: str = Field(examples=["2026-10"])
    kind: Literal["month", "ytd"]
    figures: Figures = FIGURES
    class_i_iii: ClassShare | None = Field(description="Class Ⅰ–Ⅲ share of national and provincial sections")
    sections: list[SectionClass]
    statistic_rules: dict[str, str] = Field(
        description="The documents behind each statistic_rule",
        examples=[{"daily-values-2020": "《地表水环境质量监测数据统计技术规定（试行）》（2020）：…"}],
    )
    eco_flow: EcoFlow


class GoodDayWindow(BaseModel):
    as_of: date
    first_day: date
    good_days: int
    valid_days: int
    share_percent: str | None = PERCENT


class FigurePeriod(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    first: date = Field(alias="from")
    to: date


class Coverage(BaseModel):
    expected: int | None = Field(description="Calendar days in the period")
    observed: int | None = Field(description="Days with a valid daily value (MDA8 for O3)")
    required: int | None = Field(description="Pro-rata annual minimum (GB 3095 Table 4)")
    percent_complete: str | None = PERCENT
    short_months: list[int] | None = Field(description="Months below their minimum")


class YearFigure(BaseModel):
    value: str | None = Field(description="PM2.5 mean or O3 MDA8 90th percentile, µg/m³", examples=["32"])
    unit: Literal["µg/m³"] = "µg/m³"
    valid: bool
    period: FigurePeriod
    coverage: Coverage


class Comparison(BaseModel):
    this_year: YearFigure
    last_year: YearFigure = Field(description="The same days of last year")
    comparable: bool = Field(description="Both figures valid")
    change: str | None = Field(description="This year − last year, µg/m³, only when comparable", examples=["-3"])


class AirKpi(Publication):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "subject": "绍兴市",
                    "year": 2026,
                    "figures": "published",
                    "as_of": "2026-11-26",
                    "days_elapsed": 330,
                    "good_days": 290,
                    "valid_days": 328,
                    "share_percent": "88.4",
                    "remaining_days": 35,
                    "remaining_bad_days": 2,
                    "reachable": True,
                    "best_case_share_percent": "89.6",
                    "projected_share_percent": "88.4",
                    "computed_at": "2026-11-27T10:00:00+08:00",
                    "published_at": None,
                    "revision": 0,
                    "revised_at": None,
                }
            ]
        }
    )

    subject: str
    year: int
    figures: Figures = FIGURES
    as_of: date = Field(description="Last complete day (yesterday)")
    days_elapsed: int
    good_days: int
    valid_days: int
    share_percent: str | None = PERCENT
    remaining_days: int
    remaining_bad_days: int = Field(description="Bad-day budget left to reach the good-day target")
    reachable: bool
    best_case_share_percent: str | None = PERCENT
    projected_share_percent: str | None = PERCENT
    computed_at: datetime
    pm25: Comparison
    o3: Comparison
    windows: dict[Literal["month", "ytd", "last365"], GoodDayWindow]


class WasteKpi(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "period": "2026-10",
                    "figures": "published",
                    "days": 31,
                    "incinerated": "62000.0",
                    "food_waste": "9300.0",
                    "recycled": "15500.0",
                    "landfilled": "0.0",
                    "household_total": "86800.0",
                    "landfill_share_percent": "0.0",
                    "industrial_generated": "31000.0",
                    "industrial_utilized": "25420.0",
                    "industrial_disposed": "5580.0",
                    "utilization_rate_percent": "82.0",
                    "max_revision": 0,
                }
            ]
        }
    )

    period: str
    figures: Figures = FIGURES
    days: int = Field(description="Days with a waste report")
    incinerated: str | None = TONNES
    food_waste: str | None = TONNES
    recycled: str | None = TONNES
    landfilled: str | None = TONNES
    household_total: str | None = TONNES
    landfill_share_percent: str | None = PERCENT
    industrial_generated: str | None = TONNES
    industrial_utilized: str | None = TONNES
    industrial_disposed: str | None = TONNES
    utilization_rate_percent: str | None = PERCENT
    max_revision: int | None


class AirDay(Publication):
    subject: str
    day: date
    pm25: str | None = Field(description="Valid daily mean, µg/m³", examples=["35"])
    pm10: str | None
    so2: str | None
    no2: str | None
    co: str | None = Field(description="mg/m³", examples=["0.6"])
    o3_8h: str | None = Field(description="Valid MDA8, µg/m³")
    o3_1h_max: str | None
    aqi: int | None = Field(description="Null when the day has no valid AQI (NA)")
    level: int | None
    category: str | None = Field(examples=["良"])
    primary_pollutants: list[str]
    missing: list[str]
    standard: str = Field(examples=["HJ 633—2026"])
    computed_at: datetime


class AlertState(BaseModel):
    fingerprint: str
    rule: str
    subject: str
    period: str = Field(
        description="The period the alert is about: a year (year to date), a month, a day, or `current`",
        examples=["2026", "2026-11", "2026-12-02", "current"],
    )
    severity: Severity
    state: State
    value: str | None = Field(description="The rule's metric value when last evaluated, exact")
    labels: dict[str, str]
    annotations: dict[str, str]
    pending_since: datetime | None
    fired_at: datetime | None
    resolved_at: datetime | None
    updated_at: datetime
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    acknowledge_comment: str | None


class AlertEvent(BaseModel):
    at: datetime
    event: str = Field(examples=["transition", "acknowledged"])
    from_state: str | None
    to_state: str | None
    value: str | None
    actor: str | None = Field(description="Who acknowledged (the authenticated identity when a proxy supplies one)")
    comment: str | None


class AlertDetail(AlertState):
    history: list[AlertEvent]


class Acknowledgement(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"by": "张三", "comment": "已通知柯桥分局现场核查"}]})

    by: Name = Field(description="Who acknowledges")
    comment: Comment | None = None


# Forecasts reach a few days ahead; a week is what bureaus publish, 15 days bounds the body.
MAX_FORECAST_DAYS = 15
# HJ 633: AQI values run up to 500 (above the top breakpoint a concentration has no AQI).
MAX_AQI = 500


class ForecastDay(BaseModel):
    day: date = Field(description="Beijing-time natural day", examples=["2026-12-03"])
    # Strict: JSON false is no AQI (lax mode would read it as 0).
    aqi: int = Field(strict=True, ge=0, le=MAX_AQI, description="Forecast daily AQI (HJ 633)", examples=[230])

    @field_validator("day", mode="before")
    @classmethod
    def _written_as_a_date(cls, day: object) -> object:
        # Lax mode would read a number as a Unix time (0 → 1970-01-01).
        if not isinstance(day, str | date):
            raise ValueError("day must be a date written as 2026-12-03")
        return day

    @field_validator("day")
    @classmethod
    def _in_calendar_range(cls, day: date) -> date:
        if not FIRST_YEAR <= day.year <= LAST_YEAR:
            raise ValueError(f"day must be in the years {FIRST_YEAR}–{LAST_YEAR}")
        return day


class AirForecast(BaseModel):
    """A daily AQI forecast for the city, day by day: the heavy-pollution warning is rated on it."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "by": "张三",
                    "comment": "省市会商结果",
                    "days": [{"day": "2026-12-03", "aqi": 230}, {"day": "2026-12-04", "aqi": 260}],
                }
            ]
        }
    )

    by: Name = Field(description="Who supplies the forecast")
    comment: Comment | None = None
    days: list[ForecastDay] = Field(
        min_length=1, max_length=MAX_FORECAST_DAYS, description="Consecutive days, in order, each once"
    )

    @field_validator("days")
    @classmethod
    def _consecutive(cls, days: list[ForecastDay]) -> list[ForecastDay]:
        for before, after in pairwise(days):
            if (after.day - before.day).days != 1:
                raise ValueError(f"days must be consecutive and in order: {after.day} follows {before.day}")
        return days


class ForecastReceipt(BaseModel):
    id: int
    subject: str = Field(description="The city the forecast is for", examples=["绍兴市"])
    submitted_at: datetime
    submitted_by: str
    actor: str = Field(description="The authenticated identity when a proxy supplies one, else `by`")
    comment: str | None
    days: list[ForecastDay]
    warning_level: int | None = Field(
        description="The warning level the days from today on reach (1 = lowest); null when none", examples=[1]
    )
    warning: str | None = Field(description="Its name in the province's scheme", examples=["黄色预警"])
