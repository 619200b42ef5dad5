"""Section alerts per period: this month and last month, year to date and the months tally; a month that
leaves the window resolves, and an alert's texts follow its figures while it keeps firing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, text

from services.alerts.figures.recompute import recompute_days
from services.alerts.rules.definitions import load_rules
from services.alerts.settings import BUILT_IN_RULES
from tests.support.alert_rules import evaluate_once
from tests.support.alerts import insert, job, water_day

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)  # 27 November, Beijing time
DECEMBER = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)
SECTION_RULES = tuple(rule for rule in load_rules(BUILT_IN_RULES).rules if rule.labels["kind"] == "assessment")
CLEAN = {"do": 7.5, "codmn": 3.0, "nh3n": 0.3}


def days(first: date, count: int) -> list[date]:
    return [first + timedelta(days=n) for n in range(count)]


def load(connection: Connection, section: str, first: date, count: int, tp: float) -> None:
    for day in days(first, count):
        insert(connection, water_day(section, day, {**CLEAN, "tp": tp}, range(0, 24, 4)))


def states(connection: Connection) -> dict[tuple[str, str, str], tuple[str, dict[str, Any]]]:
    rows = connection.execute(text("select rule, subject, period, state, annotations from alert_states")).all()
    return {(r.rule, r.subject, r.period): (r.state, r.annotations) for r in rows}


def test_month_year_and_tally_alerts_roll_with_the_calendar(alerts_db: Engine) -> None:
    with alerts_db.begin() as connection:
        load(connection, "XXJ-YANGXUN", date(2026, 9, 1), 30, tp=0.15)  # Ⅲ: meets its target
        load(connection, "XXJ-YANGXUN", date(2026, 10, 1), 31, tp=0.25)  # Ⅳ
        load(connection, "XXJ-YANGXUN", date(2026, 11, 1), 27, tp=0.18)  # Ⅲ
        recompute_days(job(connection, NOW), days(date(2026, 9, 1), 88))
        evaluate_once(connection, SECTION_RULES, job(connection, NOW))
        november = states(connection)
    firing = {key for key, (state, _) in november.items() if state == "firing"}
    # Year to date: mean TP (30·0.15 + 31·0.25 + 27·0.18) / 88 = 0.1966 → Ⅲ, on target.
    assert firing == {
        ("section_worse_than_target_month", "XXJ-YANGXUN", "2026-10"),
        ("section_months_worse_than_target", "XXJ-YANGXUN", "2026"),
    }
    tally = november[("section_months_worse_than_target", "XXJ-YANGXUN", "2026")][1]
    assert tally["description"] == (
        "XXJ-YANGXUN 西小江杨汛大桥(金山村)断面 2026年 2 个完整月中 1 个月劣于目标 Ⅲ类："
        "10月 Ⅳ类 (TP 0.25 mg/L)；月度达标率 50.0 %；2026年11月(1—27日) Ⅲ类 (TP 0.18 mg/L)，未满月不计入"
    )
    october = november[("section_worse_than_target_month", "XXJ-YANGXUN", "2026-10")][1]
    assert (october["period_label"], october["value"], october["target"]) == ("2026年10月", "Ⅳ类", "Ⅲ类")

    # November turns Ⅳ while the month runs: a new alert for November; October's texts are unchanged.
    with alerts_db.begin() as connection:
        connection.execute(text("delete from readings where time >= '2026-11-20T00:00+08:00'"))
        load(connection, "XXJ-YANGXUN", date(2026, 11, 20), 7, tp=0.6)
        recompute_days(job(connection, NOW), days(date(2026, 11, 20), 7))
        evaluate_once(connection, SECTION_RULES, job(connection, NOW + timedelta(minutes=1)))
        later = states(connection)
    mtd = later[("section_worse_than_target_month", "XXJ-YANGXUN", "2026-11")]
    assert mtd[0] == "firing" and mtd[1]["period_label"] == "2026年11月(1—27日)"
    tally = later[("section_months_worse_than_target", "XXJ-YANGXUN", "2026")][1]
    assert tally["value"] == "1 个月"  # the running month is named, not counted
    assert tally["description"].endswith("2026年11月(1—27日) Ⅳ类 (TP 0.29 mg/L)，未满月不计入")

    # In December October leaves the window and resolves; November stays (its monthly report is due).
    with alerts_db.begin() as connection:
        recompute_days(job(connection, DECEMBER), days(date(2026, 11, 30), 3))  # what each cycle recomputes
        evaluate_once(connection, SECTION_RULES, job(connection, DECEMBER))
        december = states(connection)
    assert december[("section_worse_than_target_month", "XXJ-YANGXUN", "2026-10")][0] == "resolved"
    assert december[("section_worse_than_target_month", "XXJ-YANGXUN", "2026-11")][0] == "firing"
    assert december[("section_worse_than_target_month", "XXJ-YANGXUN", "2026-11")][1]["period_label"] == "2026年11月"
    # On 2 December November is complete and counted; December is not a month of the tally yet.
    assert (
        "3 个完整月中 2 个月劣于目标 Ⅲ类：10月 Ⅳ类 (TP 0.25 mg/L)，11月 Ⅳ类"
        in (december[("section_months_worse_than_target", "XXJ-YANGXUN", "2026")][1]["description"])
    )


def test_texts_follow_the_figures_of_a_firing_alert(alerts_db: Engine) -> None:
    with alerts_db.begin() as connection:
        load(connection, "PYJ-ANHUA", date(2026, 11, 1), 10, tp=0.25)
        recompute_days(job(connection, NOW), days(date(2026, 11, 1), 10))
        evaluate_once(connection, SECTION_RULES, job(connection, NOW))
        load(connection, "PYJ-ANHUA", date(2026, 11, 11), 10, tp=0.45)
        recompute_days(job(connection, NOW), days(date(2026, 11, 11), 10))
        transitions = evaluate_once(connection, SECTION_RULES, job(connection, NOW + timedelta(minutes=1)))
        state, notes = states(connection)[("section_worse_than_target_ytd", "PYJ-ANHUA", "2026")]
    assert transitions == []  # still firing: no transition, no new notification
    assert state == "firing"
    assert notes["value"] == "Ⅴ类" and "(TP 0.35 mg/L)" in notes["description"]  # mean of 0.25 and 0.45
