"""Settings of the alerts service (env prefix ``ENVMON_``, e.g. ``ENVMON_ALERTS_INTERVAL_SECONDS``)."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from pathlib import Path

from pydantic import Field, field_validator, model_validator

from services.common.settings import CommonSettings
from services.standards import validity, water, water_statistics
from services.standards.comparison import DEFAULT_TOLERANCES, ToleranceTable

BUILT_IN_RULES = Path(__file__).parent / "rules" / "rules.yaml"


class AlertsSettings(CommonSettings):
    alerts_http_port: int = 8002
    alerts_http_host: str = "0.0.0.0"
    # How often the compute-evaluate-deliver cycle runs.
    alerts_interval_seconds: float = Field(default=60.0, gt=0)
    alerts_rules_path: Path = BUILT_IN_RULES
    alertmanager_url: str = "http://127.0.0.1:9093"
    # Alertmanager forgets an alert that is not re-sent within resolve_timeout (default 5 min).
    alerts_resend_seconds: float = Field(default=60.0, gt=0)
    alerts_public_url: str = "http://127.0.0.1:8002"
    # Header an authenticating reverse proxy sets to the user's identity (e.g. X-Forwarded-User); when set,
    # acknowledgements need it and record it as their actor. Unset: the actor is the body's ``by``.
    alerts_identity_header: str | None = None
    # Grafana as users reach it: each alert's dashboard_url opens the panel that shows its cause.
    grafana_url: str = "http://127.0.0.1:3000"
    # The city whose air quality is the mean of these stations (HJ 663 assessment stations).
    alerts_city: str = "绍兴市"
    alerts_city_control_levels: tuple[str, ...] = ("national",)
    # An explicit list of the city's stations; when set it replaces the selection by control level.
    alerts_city_stations: tuple[str, ...] = ()
    # A city hour of a pollutant needs a valid 1-hour value from at least this many of its stations.
    alerts_city_min_stations: int = Field(default=1, gt=0)
    # The plan's good-day share target the bad-day budget and projection are counted against.
    alerts_good_day_target: Decimal = Field(default=Decimal("0.9"), gt=0, le=1)
    # GB 3095 Table 4 annual completeness (applied pro rata to year-to-date figures, docs/alerts.md).
    alerts_annual_min_days: int = Field(default=validity.ANNUAL_RULE.per_year, gt=0, le=366)
    alerts_monthly_min_days: int = Field(default=validity.ANNUAL_RULE.per_month, gt=0, le=31)
    alerts_february_min_days: int = Field(default=validity.ANNUAL_RULE.in_february, gt=0, le=29)
    # Water minimums (docs/standards.md, water period statistics; those marked [?] there are unverified):
    # an automatic daily value's share of the programme's values, valid days per period for automatic
    # data, samples per period for laboratory data; periods week, ten_days, month, quarter, year.
    alerts_water_daily_share: Fraction = Field(default=water_statistics.DEFAULT_MINIMUMS.daily_share, gt=0, le=1)
    alerts_water_automatic_days: dict[water_statistics.PeriodKind, int] = Field(
        default_factory=lambda: dict(water_statistics.DEFAULT_MINIMUMS.automatic_days)
    )
    alerts_water_manual_samples: dict[water_statistics.PeriodKind, int] = Field(
        default_factory=lambda: dict(water_statistics.DEFAULT_MINIMUMS.manual_samples)
    )
    # The value a water period class is decided on: "published" (rounded once by GB/T 8170 to its reporting
    # precision, as the figure is published) or "exact" ([?] pending the 2020 statistics rule; docs/standards.md).
    alerts_water_class_basis: water.ClassBasis = water.DEFAULT_CLASS_BASIS
    # Sections counted in the Class Ⅰ–Ⅲ share KPI.
    alerts_share_control_levels: tuple[str, ...] = ("national", "provincial")
    # A station is silent this many of its programme's reporting intervals after its last report was due.
    alerts_silent_after_intervals: int = Field(default=2, gt=0, le=1000)
    # Readings flagged T/D within this window raise the HJ 212 flag alert.
    alerts_flag_window_minutes: int = Field(default=180, gt=0)
    # Resolved alerts stay in the retained MQTT snapshot this long.
    alerts_snapshot_keep_resolved_hours: int = Field(default=24, ge=0)
    # Comparison tolerances replacing HJ 915-2017's defaults per indicator (services.standards.comparison),
    # e.g. {"nh3n": {"relative": "0.15", "absolute": "0.05", "absolute_below": "0.3"}}.
    alerts_comparison_tolerances: dict[str, dict[str, str]] = Field(default_factory=dict)

    @field_validator("alerts_comparison_tolerances")
    @classmethod
    def _valid_tolerances(cls, value: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
        DEFAULT_TOLERANCES.with_overrides(value)
        return value

    @property
    def tolerance_table(self) -> ToleranceTable:
        return DEFAULT_TOLERANCES.with_overrides(self.alerts_comparison_tolerances)

    @model_validator(mode="after")
    def _water_minimums_complete(self) -> AlertsSettings:
        self.water_minimums  # noqa: B018 - refuses a bad setting at start, naming it
        return self

    @model_validator(mode="after")
    def _city_min_stations_fit(self) -> AlertsSettings:
        if self.alerts_city_stations and self.alerts_city_min_stations > len(self.alerts_city_stations):
            raise ValueError(
                f"ALERTS_CITY_MIN_STATIONS {self.alerts_city_min_stations} exceeds the "
                f"{len(self.alerts_city_stations)} stations of ALERTS_CITY_STATIONS"
            )
        return self

    @property
    def good_day_target(self) -> Fraction:
        return Fraction(self.alerts_good_day_target)

    @property
    def water_minimums(self) -> water_statistics.Minimums:
        return water_statistics.Minimums(
            daily_share=self.alerts_water_daily_share,
            automatic_days=self.alerts_water_automatic_days,
            manual_samples=self.alerts_water_manual_samples,
        )

    @property
    def water_class_basis(self) -> water.Basis:
        return water.Basis(self.alerts_water_class_basis, self.precision_table)

    @property
    def completeness_rule(self) -> validity.CompletenessRule:
        return validity.CompletenessRule(
            per_year=self.alerts_annual_min_days,
            per_month=self.alerts_monthly_min_days,
            in_february=self.alerts_february_min_days,
        )
