"""Settings: thresholds and choices are configurable, defaults are the standards and the plan, bad values refused."""

from __future__ import annotations

from fractions import Fraction

import pytest
from pydantic import ValidationError

from services.alerts.settings import AlertsSettings
from services.standards import reporting, validity, water, water_statistics

DATABASE = "postgresql+psycopg://envmon@127.0.0.1:1/envmon"


def settings(**values: object) -> AlertsSettings:
    return AlertsSettings.model_validate({"database_url": DATABASE, **values})


def test_defaults_are_the_standards_and_the_plan() -> None:
    defaults = settings()
    assert defaults.completeness_rule == validity.ANNUAL_RULE
    assert defaults.good_day_target == validity.GOOD_DAY_TARGET
    assert (defaults.alerts_city_stations, defaults.alerts_city_min_stations) == ((), 1)
    # Silent after two missed reports of the station's programme interval.
    assert defaults.alerts_silent_after_intervals == 2


def test_thresholds_are_settings() -> None:
    custom = settings(
        alerts_annual_min_days=300,
        alerts_monthly_min_days=25,
        alerts_february_min_days=23,
        alerts_good_day_target="0.92",
    )
    assert custom.completeness_rule == validity.CompletenessRule(per_year=300, per_month=25, in_february=23)
    assert custom.good_day_target == Fraction(23, 25)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"alerts_city_stations": ["AIR-KEQIAO"], "alerts_city_min_stations": 2}, "exceeds the 1 stations"),
        ({"alerts_good_day_target": "1.1"}, "less than or equal to 1"),
        ({"alerts_february_min_days": 30}, "less than or equal to 29"),
        ({"alerts_silent_after_intervals": 0}, "greater than 0"),
    ],
)
def test_inconsistent_settings_are_refused(values: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        settings(**values)


def test_water_minimums_are_settings_and_default_to_the_standards() -> None:
    assert settings().water_minimums == water_statistics.DEFAULT_MINIMUMS
    automatic = {"week": 4, "ten_days": 6, "month": 18, "quarter": 55, "year": 220}
    custom = settings(alerts_water_daily_share="3/4", alerts_water_automatic_days=automatic)
    assert custom.water_minimums.daily_share == Fraction(3, 4)
    assert custom.water_minimums.period_required(water_statistics.Tier.AUTOMATIC, "month") == 18


def test_water_class_basis_defaults_to_the_value_as_published() -> None:
    assert settings().water_class_basis == water.Basis(water.ClassBasis.PUBLISHED, reporting.DEFAULT_TABLE)
    custom = settings(alerts_water_class_basis="exact", reporting_places={"tp": 3})
    assert custom.water_class_basis.kind is water.ClassBasis.EXACT
    assert custom.water_class_basis.precision.of_concentration("tp").places == 3
    with pytest.raises(ValidationError, match="alerts_water_class_basis"):
        settings(alerts_water_class_basis="rounded")


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"alerts_water_daily_share": "0"}, "alerts_water_daily_share"),
        ({"alerts_water_manual_samples": {"month": 1}}, "manual_samples needs a count"),
        ({"alerts_water_automatic_days": {"month": 20, "decade": 1}}, "alerts_water_automatic_days"),
    ],
)
def test_bad_water_minimums_are_refused(values: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        settings(**values)
