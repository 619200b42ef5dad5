"""双控双减 on hand-built daily figures: coverage is stored and served, and only valid comparisons move alerts.

As of 28 February 2026 (yesterday on 1 March) the year to date is 59 days: January needs 27 valid
days, February 25, and the period ⌈324 × 59 / 365⌉ = 53; last year's same days likewise.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry
from sqlalchemy import Engine, text

from services.alerts.api import create_app
from services.alerts.figures.air_year import compute_air_kpis
from services.alerts.rules.definitions import load_rules
from services.alerts.rules.lifecycle import State
from services.alerts.settings import BUILT_IN_RULES, AlertsSettings
from tests.support.alert_rules import evaluate_once, metric_values
from tests.support.alerts import CITY, job

pytestmark = pytest.mark.integration

NOW = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)  # 10:00 on 1 March, Beijing time
REQUIRED = 53
FALLING_RULES = tuple(r for r in load_rules(BUILT_IN_RULES).rules if r.name in {"pm25_not_falling", "o3_not_falling"})
METRICS = ("air.pm25_change_ytd", "air.o3_p90_change_ytd")


def first_days(year: int, january: int, february: int) -> list[date]:
    return [date(year, 1, d) for d in range(1, january + 1)] + [date(year, 2, d) for d in range(1, february + 1)]


def store_days(engine: Engine, days: Iterable[date], pm25: int, o3_8h: int) -> None:
    with engine.begin() as connection:
        connection.execute(
            text(
                "insert into air_daily (subject, day, pm25, o3_8h, aqi, standard) "
                "values (:subject, :day, :pm25, :o3, 50, 'HJ 633-2012') on conflict (subject, day) do update "
                "set pm25 = excluded.pm25, o3_8h = excluded.o3_8h"
            ),
            [{"subject": CITY, "day": d, "pm25": pm25, "o3": o3_8h} for d in days],
        )


def recompute(engine: Engine, now: datetime = NOW) -> tuple[dict[str, Any], dict[str, dict[str, Decimal]]]:
    with engine.begin() as connection:
        computation = job(connection, now)
        compute_air_kpis(computation, [2026])
        row = dict(
            connection.execute(text("select * from air_year where subject = :c and year = 2026"), {"c": CITY})
            .mappings()
            .one()
        )
        values = metric_values(connection, computation, METRICS)
    return row, values


@pytest.fixture
def last_year(alerts_db: Engine) -> Engine:
    store_days(alerts_db, first_days(2025, 31, 28), pm25=30, o3_8h=100)
    return alerts_db


@pytest.mark.parametrize(
    ("january", "february", "valid", "short"),
    [
        (31, 25, True, []),
        (31, 24, False, [2]),
        (27, 28, True, []),
        (26, 28, False, [1]),
    ],
)
def test_monthly_thresholds_decide_validity(
    last_year: Engine, january: int, february: int, valid: bool, short: list[int]
) -> None:
    store_days(last_year, first_days(2026, january, february), pm25=40, o3_8h=110)
    row, values = recompute(last_year)
    assert (row["days_elapsed"], row["days_required"], row["days_elapsed_last_year"]) == (59, REQUIRED, 59)
    for figure in ("pm25", "o3"):
        assert (row[f"{figure}_days"], row[f"{figure}_valid"], row[f"{figure}_short_months"]) == (
            january + february,
            valid,
            short,
        )
        assert (row[f"{figure}_days_last_year"], row[f"{figure}_valid_last_year"]) == (59, True)
    # The figure itself is kept (shown with its flag); only the comparison is withheld.
    assert (row["pm25_mean"], row["o3_mda8_p90"]) == (40, 110)
    expected = {CITY: Decimal(10)} if valid else {}
    assert values == {"air.pm25_change_ytd": expected, "air.o3_p90_change_ytd": expected}


def test_an_invalid_last_year_withholds_the_comparison(alerts_db: Engine) -> None:
    store_days(alerts_db, first_days(2025, 31, 24), pm25=30, o3_8h=100)
    store_days(alerts_db, first_days(2026, 31, 28), pm25=40, o3_8h=110)
    row, values = recompute(alerts_db)
    assert (row["pm25_valid"], row["pm25_valid_last_year"], row["pm25_short_months_last_year"]) == (True, False, [2])
    assert values["air.pm25_change_ytd"] == {}


def states(engine: Engine, now: datetime) -> dict[str, str]:
    with engine.begin() as connection:
        evaluate_once(connection, FALLING_RULES, job(connection, now))
        rows = connection.execute(text("select rule, state from alert_states")).all()
        return {str(rule): str(state) for rule, state in rows}


def test_only_valid_comparisons_fire_or_resolve(last_year: Engine) -> None:
    store_days(last_year, first_days(2026, 31, 24), pm25=40, o3_8h=110)  # rising, but February is short
    recompute(last_year)
    assert states(last_year, NOW) == {}

    store_days(last_year, [date(2026, 2, 25)], pm25=40, o3_8h=110)  # 25 February days: valid, still rising
    recompute(last_year)
    firing = {"pm25_not_falling": State.FIRING, "o3_not_falling": State.FIRING}
    assert states(last_year, NOW) == firing

    # Falling now, but with February short again the comparison is invalid: the alerts hold.
    with last_year.begin() as connection:
        connection.execute(text("delete from air_daily where day = '2026-02-25'"))
    store_days(last_year, first_days(2026, 31, 24), pm25=20, o3_8h=90)
    recompute(last_year)
    assert states(last_year, NOW + timedelta(minutes=1)) == firing

    store_days(last_year, [date(2026, 2, 25)], pm25=20, o3_8h=90)
    recompute(last_year)
    assert states(last_year, NOW + timedelta(minutes=2)) == {
        "pm25_not_falling": State.RESOLVED,
        "o3_not_falling": State.RESOLVED,
    }


def test_the_api_serves_each_figure_with_its_coverage(last_year: Engine) -> None:
    store_days(last_year, first_days(2026, 31, 24), pm25=40, o3_8h=110)
    recompute(last_year)
    body = (
        TestClient(create_app(last_year, AlertsSettings(alerts_city=CITY), metrics_registry=CollectorRegistry()))
        .get("/v1/kpi/air?year=2026")
        .json()
    )
    pm25 = body["pm25"]
    assert pm25["this_year"] == {
        "value": "40",
        "unit": "µg/m³",
        "valid": False,
        "period": {"from": "2026-01-01", "to": "2026-02-28"},
        "coverage": {
            "expected": 59,
            "observed": 55,
            "required": REQUIRED,
            "percent_complete": "93.2",
            "short_months": [2],
        },
    }
    assert pm25["last_year"]["valid"] is True and pm25["last_year"]["coverage"]["percent_complete"] == "100.0"
    assert pm25["last_year"]["period"] == {"from": "2025-01-01", "to": "2025-02-28"}
    assert (pm25["comparable"], pm25["change"]) == (False, None)
    assert body["o3"]["this_year"]["value"] == "110" and "pm25_mean" not in body

    store_days(last_year, [date(2026, 2, 25)], pm25=40, o3_8h=110)
    recompute(last_year)
    body = (
        TestClient(create_app(last_year, AlertsSettings(alerts_city=CITY), metrics_registry=CollectorRegistry()))
        .get("/v1/kpi/air?year=2026")
        .json()
    )
    assert [(body[f]["comparable"], body[f]["change"]) for f in ("pm25", "o3")] == [(True, "10"), (True, "10")]
