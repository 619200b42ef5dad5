"""The paired comparison on the real database: which sources a section has, which days pair, what the relative
deviation is taken against, who stands behind each pair, and when a month's figures are published."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from sqlalchemy import Engine, text

from services.alerts.figures.comparison import compute_comparisons
from services.alerts.periods import CalendarPeriod
from services.compensation import repository
from services.compensation.agreements import load_agreement_files
from services.standards.comparison import ToleranceTable
from tests.support.alerts import close, empty_alerts_tables, insert, job, local, reading

pytestmark = pytest.mark.integration

SECTION, PARTNER = "XXJ-YANGXUN", "XXJ-YANGXUN-XS"
OCTOBER = CalendarPeriod(2026, 10)


def _rows(engine: Engine) -> dict[tuple[str, str, str, str], dict[str, Any]]:
    with engine.connect() as connection:
        rows = connection.execute(text("select * from water_comparison where period = '2026-10'")).mappings()
        return {(r["first_station"], r["first_tier"], r["second_station"], r["second_tier"]): dict(r) for r in rows}


def _joint(day: date, value: float) -> dict[str, Any]:
    return {**reading(SECTION, "nh3n", local(day, 9, 30), value), "source": "joint-manual"}


def _compute(engine: Engine, now: datetime, tolerances: ToleranceTable | None = None) -> None:
    with engine.begin() as connection:
        computation = job(connection, now)
        if tolerances is not None:
            computation = dataclasses.replace(computation, tolerances=tolerances)
        compute_comparisons(computation, [OCTOBER])


def test_three_sources_pair_on_shared_days_against_the_laboratory(alerts_db: Engine) -> None:
    with alerts_db.begin() as connection:
        insert(
            connection,
            [
                # both stations on 1–3 October; Xiaoshan's also on the 4th, which has nothing to pair with
                *[reading(SECTION, "nh3n", local(date(2026, 10, d), h), 0.50) for d in (1, 2, 3) for h in (0, 12)],
                *[reading(PARTNER, "nh3n", local(date(2026, 10, d), h), 0.70) for d in (1, 2, 3, 4) for h in (4, 16)],
                # a T-flagged value is not a valid reading and moves no mean
                reading(SECTION, "nh3n", local(date(2026, 10, 2), 20), 9.9, flag="T"),
                # the joint sample of the 2nd (laboratory): the partner station pairs with it on one day
                _joint(date(2026, 10, 2), 0.52),
            ],
        )
    _compute(alerts_db, datetime(2026, 11, 3, 2, tzinfo=UTC))
    rows = _rows(alerts_db)
    assert set(rows) == {
        (SECTION, "automatic", PARTNER, "automatic"),
        (SECTION, "automatic", SECTION, "joint-manual"),
        (PARTNER, "automatic", SECTION, "joint-manual"),
    }
    stations = rows[(SECTION, "automatic", PARTNER, "automatic")]
    assert (stations["paired_days"], stations["first_mean"], stations["second_mean"]) == (
        3,
        Decimal("0.5"),
        Decimal("0.7"),
    )
    # −0.2 against the mean of both (0.6): −33.3 %, beyond ±20 %
    assert close(stations["relative_deviation"], Fraction(-1, 3))
    assert (stations["agrees"], stations["parties"], stations["tolerance"]) == (
        False,
        ["keqiao", "xiaoshan"],
        "±0.04 (< 0.2) 或 ±20 %",
    )
    # against the laboratory value: Keqiao's station 0.50 vs 0.52 → −3.8 %, within; Xiaoshan's 0.70 → +34.6 %
    keqiao_lab = rows[(SECTION, "automatic", SECTION, "joint-manual")]
    assert (keqiao_lab["paired_days"], keqiao_lab["difference"], keqiao_lab["agrees"]) == (1, Decimal("-0.02"), True)
    assert close(keqiao_lab["relative_deviation"], Fraction(-1, 26))
    xiaoshan_lab = rows[(PARTNER, "automatic", SECTION, "joint-manual")]
    assert (xiaoshan_lab["difference"], xiaoshan_lab["agrees"]) == (Decimal("0.18"), False)
    # a laboratory result stands for the parties with a station at the section
    assert xiaoshan_lab["parties"] == ["keqiao", "xiaoshan"]
    # October ended before the computation: the figures are published
    assert all(row["published_at"] is not None and row["as_of"] == date(2026, 10, 31) for row in rows.values())


def test_a_single_source_gives_no_comparison_and_a_deployment_tolerance_decides(alerts_db: Engine) -> None:
    with alerts_db.begin() as connection:
        insert(connection, [reading(SECTION, "tp", local(date(2026, 10, 5), h), 0.10) for h in (0, 4)])
    _compute(alerts_db, datetime(2026, 10, 20, 2, tzinfo=UTC))
    assert _rows(alerts_db) == {}

    with alerts_db.begin() as connection:
        insert(connection, [reading(PARTNER, "tp", local(date(2026, 10, 5), 8), 0.12)])
    _compute(alerts_db, datetime(2026, 10, 20, 2, tzinfo=UTC))
    [row] = _rows(alerts_db).values()
    # 0.02 on a mean of 0.11 is 18.2 %: within the default ±30 %, and provisional while October runs
    assert (row["agrees"], row["published_at"], row["as_of"]) == (True, None, date(2026, 10, 20))
    _compute(
        alerts_db, datetime(2026, 10, 20, 2, tzinfo=UTC), ToleranceTable().with_overrides({"tp": {"relative": "0.1"}})
    )
    [row] = _rows(alerts_db).values()
    assert (row["agrees"], row["tolerance"]) == (False, "±10 %")


@pytest.fixture(autouse=True)
def _empty(alerts_db: Engine) -> None:
    empty_alerts_tables(alerts_db)


def test_a_withdrawn_joint_sample_takes_its_pairs_out_of_the_month_on_the_record(alerts_db: Engine) -> None:
    with alerts_db.begin() as connection:
        insert(connection, [reading(SECTION, "nh3n", local(date(2026, 10, 2), h), 0.50) for h in (0, 12)])
        insert(connection, [_joint(date(2026, 10, 2), 0.90)])
    _compute(alerts_db, datetime(2026, 11, 3, 2, tzinfo=UTC))
    [published] = _rows(alerts_db).values()
    assert (published["second_tier"], published["agrees"]) == ("joint-manual", False)

    with alerts_db.begin() as connection:  # the upload is withdrawn (compensation deletes its readings)
        connection.execute(text("delete from readings where source = 'joint-manual'"))
    _compute(alerts_db, datetime(2026, 11, 3, 3, tzinfo=UTC))
    assert _rows(alerts_db) == {}
    with alerts_db.connect() as connection:
        [(key, previous, current)] = connection.execute(
            text("select key, previous, current from figure_revisions where table_name = 'water_comparison'")
        ).all()
    assert (key["second_tier"], previous["second_mean"], current) == ("joint-manual", 0.9, {})


def test_the_parties_of_the_agreement_on_the_section_are_named_beside_the_stations_operators(alerts_db: Engine) -> None:
    """At 进化 the national station is the province's and the partner's Xiaoshan's; 诸暨 signed the agreement."""
    puyangjiang = next(a for a in load_agreement_files() if a.id == "PYJ-ZHUJI-XIAOSHAN")
    with alerts_db.begin() as connection:
        repository.add_agreement_version(connection, puyangjiang, origin="test", actor="test", unless="known")
        insert(
            connection,
            [
                reading("PYJ-JINHUA", "do", local(date(2026, 10, 7), 8), 6.0),
                reading("PYJ-JINHUA-XS", "do", local(date(2026, 10, 7), 9), 7.0),
            ],
        )
    try:
        _compute(alerts_db, datetime(2026, 11, 3, 2, tzinfo=UTC))
        [row] = _rows(alerts_db).values()
        assert (row["parties"], row["agrees"]) == (["xiaoshan", "zhejiang", "zhuji"], False)
    finally:
        with alerts_db.begin() as connection:
            connection.execute(text("delete from compensation_agreement_versions where origin = 'test'"))
