"""A synthetic January whose good days, budget, class shares and eco-flow attainment are worked out by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, localcontext
from fractions import Fraction
from math import floor

import pytest
from sqlalchemy import Engine, text

from services.alerts.figures.recompute import recompute_days
from services.alerts.rules.definitions import load_rules
from services.alerts.rules.lifecycle import State
from services.alerts.settings import BUILT_IN_RULES
from tests.support.alert_rules import evaluate_once
from tests.support.alerts import CITY, air_day, close, insert, job, water_day

pytestmark = pytest.mark.integration

NOW = datetime(2026, 2, 1, 2, 0, tzinfo=UTC)  # 10:00 on 1 February, Beijing time: January is complete
GOOD_DAYS = [1, 2, 3, 4, 6, 7, 9]
BAD_DAYS = [5, 8]  # PM2.5 100: HJ 633-2012 IAQI ⌈100 + 50·(100−75)/(115−75)⌉ = 132
NA_DAY = 10  # only 12 hours of data: no pollutant has its 20 hours, so no AQI
SIX_HOURLY = range(0, 24, 6)  # 4 of a 4-hourly programme's 6 values: enough for a daily value (2/3)
HOURLY = range(24)  # PYJ-JINHUA's programme is hourly


def january(day: int) -> date:
    return date(2026, 1, day)


@pytest.fixture
def synthetic_january(alerts_db: Engine) -> Engine:
    rows = [r for d in GOOD_DAYS for r in air_day(january(d))]
    rows += [r for d in BAD_DAYS for r in air_day(january(d), pm25=100)]
    rows += air_day(january(NA_DAY), hours=range(12))
    rows += water_day("PYJ-JINHUA", january(1), {"nh3n": 0.4, "codmn": 3, "flow": 9}, HOURLY)
    rows += water_day("PYJ-JINHUA", january(2), {"nh3n": 0.4, "codmn": 3, "flow": 8}, HOURLY)
    rows += water_day("PYJ-ANHUA", january(1), {"nh3n": 1.2}, SIX_HOURLY)
    rows += water_day("PYJ-ANHUA", january(2), {"nh3n": 1.6}, SIX_HOURLY)
    rows += water_day("XXJ-YANGXUN", january(1), {"tp": 0.15}, SIX_HOURLY)
    rows += water_day("CEJ-SHANGPU", january(1), {"nh3n": 2.5}, SIX_HOURLY)  # municipal: not in the share
    with alerts_db.begin() as connection:
        insert(connection, rows)
        recompute_days(job(connection, NOW), [january(d) for d in range(1, 32)])
    return alerts_db


def test_good_days_and_bad_day_budget(synthetic_january: Engine) -> None:
    with synthetic_january.connect() as connection:
        year = (
            connection.execute(text("select * from air_year where subject = :c and year = 2026"), {"c": CITY})
            .mappings()
            .one()
        )
        windows = connection.execute(
            text("select window_name, good_days, valid_days from air_good_days where subject = :c"), {"c": CITY}
        ).all()
    good, valid, elapsed, remaining = 7, 9, 31, 365 - 31
    # Largest b with (good + remaining − b) / (valid + remaining) ≥ 0.9.
    budget = floor(Fraction(good + remaining) - Fraction(9, 10) * (valid + remaining))
    projected = (good + remaining - Fraction(valid - good, elapsed) * remaining) / (valid + remaining)
    assert (year["good_days"], year["valid_days"], year["days_elapsed"]) == (good, valid, elapsed)
    assert close(year["share"], Fraction(good, valid))
    assert budget == 32 and year["remaining_bad_days"] == budget
    assert close(year["projected_share"], projected)
    assert year["reachable"] is True
    assert sorted(windows) == [("last365", good, valid), ("month", good, valid), ("ytd", good, valid)]


def test_pm25_mean_and_o3_percentile(synthetic_january: Engine) -> None:
    with synthetic_january.connect() as connection:
        pm25, o3 = connection.execute(
            text("select pm25_mean, o3_mda8_p90 from air_year where subject = :c and year = 2026"), {"c": CITY}
        ).one()
    with localcontext() as context:
        context.prec = 40
        expected = Decimal(7 * 30 + 2 * 100) / 9  # mean of the valid days' PM2.5 only
    assert pm25 == expected
    assert o3 == Decimal(50)  # O3 constant at 50 → every MDA8 is 50


def test_section_classes_and_class_i_iii_share(synthetic_january: Engine) -> None:
    with synthetic_january.connect() as connection:
        classes: dict[str, int] = dict(
            connection.execute(text("select section, water_class from water_period where period = '2026-01'")).all()
        )
        anhua = connection.execute(
            text(
                "select main_pollutants, meets_target, means ->> 'nh3n' from water_period "
                "where section = 'PYJ-ANHUA' and period = '2026-01'"
            )
        ).one()
        share = connection.execute(
            text("select sections, sections_i_iii, share from water_share where period = '2026-01'")
        ).one()
    # NH3-N 0.4 → Ⅱ; mean(1.2, 1.6) = 1.4 → Ⅳ (the worst day, 1.6, would be Ⅴ); TP 0.15 → Ⅲ; 2.5 → 劣Ⅴ.
    assert classes == {"PYJ-JINHUA": 2, "PYJ-ANHUA": 4, "XXJ-YANGXUN": 3, "CEJ-SHANGPU": 6}
    assert anhua == (["nh3n"], False, "1.4")
    assert share[:2] == (3, 2)  # national and provincial only: Jinhua, Anhua, Yangxun
    assert close(share[2], Fraction(2, 3))


def test_ecological_flow_attainment(synthetic_january: Engine) -> None:
    with synthetic_january.connect() as connection:
        rows = {
            subject: (attained, days)
            for subject, attained, days in connection.execute(
                text("select subject, days_attained, days_with_data from eco_flow_period where period = '2026-01'")
            ).all()
        }
    # Jinhua's minimum is 8.5 m³/s: 9 meets it, 8 does not.
    assert rows == {"PYJ-JINHUA": (1, 2), CITY: (1, 2)}


def test_a_year_boundary_day_is_in_its_local_year(synthetic_january: Engine) -> None:
    with synthetic_january.connect() as connection:
        first = connection.execute(text("select min(day) from air_daily where subject = :c"), {"c": CITY}).scalar_one()
    assert first == january(1) and first - timedelta(days=1) == date(2025, 12, 31)


def test_built_in_rules_fire_on_the_plan_targets(synthetic_january: Engine) -> None:
    with synthetic_january.begin() as connection:
        transitions = evaluate_once(connection, load_rules(BUILT_IN_RULES).rules, job(connection, NOW))
    fired = {(t.rule, t.subject) for t in transitions if t.to_state is State.FIRING}
    pending = {(t.rule, t.subject) for t in transitions if t.to_state is State.PENDING}
    # Year to date: Class Ⅰ–Ⅲ 2/3 < 100 %, eco flow 1/2 < 95 %. Good days 7/9 < 90 %, but 9 valid days of 31 are
    # below GB 3095's 28 pro rata: the good-day share and the budget wait for a year's worth of days.
    assert {("water_class_i_iii_share_target", CITY), ("eco_flow_share_target", CITY)} <= fired
    assert not any(rule in ("air_good_day_share_target", "bad_day_budget_low") for rule, _ in fired)
    assert ("station_silent", "AIR-KEQIAO") in pending  # nothing since 10 January; fires after the rule's 10 min
