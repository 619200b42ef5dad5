"""Water period figures follow the rule of their source: the SQL day sums feeding ``services.standards``
give exactly what ``services.standards.water_statistics`` gives on the raw readings (real TimescaleDB)."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, text

from services.alerts.figures.recompute import recompute_days
from services.alerts.figures.water import queue_other_basis, section_period_rows, tally_water_days
from services.alerts.periods import CalendarPeriod
from services.standards import reporting, water
from services.standards import water_statistics as ws
from services.standards.local_time import day_end, day_start, local_date
from services.storage.programmes import load_programmes
from services.storage.schema import SOURCE_TIERS, Source
from tests.support.alerts import empty_alerts_tables, insert, job, local

pytestmark = pytest.mark.integration

SECTION = "PYJ-ANHUA"  # a 4-hourly automatic programme of pH, DO, CODMn, NH3-N, TP, TN (no COD)
MONTH = CalendarPeriod(2026, 10)
NOW = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
DAYS = 6
# Small minimums so that every branch of the source choice is reached with a few days of data.
MINIMUMS = ws.Minimums(automatic_days={"week": 1, "ten_days": 1, "month": 3, "quarter": 3, "year": 3})

readings_strategy = st.lists(
    st.tuples(
        st.sampled_from(["nh3n", "do", "cod"]),
        st.integers(0, DAYS - 1),  # day of the month
        st.integers(0, 24 * 60 - 1),  # minute of the day: irregular spacing, gaps and crowded hours
        st.decimals(min_value=0, max_value=20, places=3, allow_nan=False, allow_infinity=False),
        st.sampled_from(["N", "N", "N", "N", "D", "T", "M"]),
        st.sampled_from(list(Source)),
    ),
    max_size=120,
    unique_by=lambda r: (r[0], r[1], r[2]),  # one reading per item and time (the readings key)
)


def _row(item: str, day: int, minute: int, value: Decimal, flag: str, source: Source) -> dict[str, Any]:
    return {
        "time": local(MONTH.first_day + timedelta(days=day)) + timedelta(minutes=minute),
        "station": SECTION,
        "parameter": item,
        "value": float(value),
        "flag": flag,
        "source": source.value,
    }


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(readings=readings_strategy)
def test_sql_day_sums_give_the_standards_period_values(
    alerts_db: Engine, readings: list[tuple[str, int, int, Decimal, str, Source]]
) -> None:
    empty_alerts_tables(alerts_db, "readings")
    rows = [_row(*r) for r in readings]
    with alerts_db.begin() as connection:
        insert(connection, rows)
        computation = dataclasses.replace(job(connection, NOW), water_minimums=MINIMUMS)
        tally_water_days(computation, MONTH.first_day, MONTH.last_day)
        figures = {r["section"]: r for r in section_period_rows(computation, MONTH)}
        programmes = load_programmes(connection, [SECTION])

    def expected(item: str, day: date) -> int:
        return programmes.expected_samples(SECTION, item, day_start(day), day_end(day))

    observations = [
        ws.Observation(local_date(r["time"]), r["parameter"], SOURCE_TIERS[r["source"]], Decimal(str(r["value"])))
        for r in rows
        if r["flag"] == "N"
    ]
    values = ws.period_values(ws.tally_observations(observations), "month", expected, MINIMUMS)
    if not values:
        assert SECTION not in figures
        return
    figure = figures[SECTION]
    assert figure["means"] == {item: str(v.value) for item, v in values.items()}
    assert figure["statistic_rule"] == ws.figure_rule(values.values())
    assert figure["item_statistics"] == {item: v.statistics() for item, v in values.items()}
    assert figure["water_class"] == water.classify_section({i: v.exact for i, v in values.items()}).water_class


def test_laboratory_samples_and_automatic_days_in_one_month(alerts_db: Engine) -> None:
    """22号 for the joint samples of COD, the 2020 rule for automatic NH3-N; the stored row names both."""
    day = MONTH.first_day
    automatic = [
        _row("nh3n", d, hour * 60, Decimal(value), "N", Source.HJ212)
        for d, value in ((0, "0.4"), (1, "1.6"))
        for hour in range(0, 24, 4)
    ]
    joint = [_row("cod", 0, 9 * 60, Decimal("16"), "N", Source.JOINT_MANUAL)]
    joint += [_row("cod", 0, 15 * 60, Decimal("18"), "N", Source.JOINT_MANUAL)]
    joint += [_row("cod", 5, 9 * 60, Decimal("26"), "N", Source.JOINT_MANUAL)]
    with alerts_db.begin() as connection:
        insert(connection, automatic + joint)
        computation = job(connection, NOW)
        tally_water_days(computation, day, MONTH.last_day)
        [figure] = section_period_rows(computation, MONTH)
    # NH3-N: daily values 0.4 and 1.6 → 1.0 (Ⅲ); COD: samples 16, 18, 26 → 20 (Ⅲ), not (17 + 26) / 2 = 21.5 (Ⅳ)
    assert figure["means"] == {"nh3n": "1", "cod": "20"}
    assert (figure["water_class"], figure["statistic_rule"]) == (3, "mixed")
    assert figure["item_statistics"]["cod"] == {
        "rule": "sample-mean-2011",
        "tier": "joint-manual",
        "count": 3,
        "required": 1,
        "meets_minimum": True,
    }
    assert figure["item_statistics"]["nh3n"]["rule"] == "daily-values-2020"
    with alerts_db.begin() as connection:
        tiers = connection.execute(
            text("select parameter, tier, samples, expected from water_daily where day = :d order by 1"), {"d": day}
        ).all()
    assert tiers == [("cod", "joint-manual", 2, None), ("nh3n", "automatic", 6, 6)]


def test_the_class_is_decided_on_the_published_mean(alerts_db: Engine) -> None:
    """A TP mean of 0.2004 mg/L is published "0.20" and classed Ⅲ; on the exact basis it is Ⅳ, a recorded revision."""
    empty_alerts_tables(alerts_db, "readings")
    samples = [("tp", 2, "0.2"), ("tp", 9, "0.2008"), ("do", 2, "6.5"), ("do", 9, "6.5")]
    rows = [_row(item, day, 10 * 60, Decimal(value), "N", Source.JOINT_MANUAL) for item, day, value in samples]
    days = [MONTH.first_day + timedelta(days=d) for d in (2, 9)]
    key = {"section": SECTION, "period": MONTH.key}
    select_row = text(
        "select water_class, label, main_pollutants, means, class_basis, revision from water_period "
        "where section = :section and period = :period"
    )
    with alerts_db.begin() as connection:
        insert(connection, rows)
        recompute_days(job(connection, NOW), days)
        published = connection.execute(select_row, key).mappings().one()
        exact_job = dataclasses.replace(job(connection, NOW), water_class_basis=water.EXACT_BASIS)
        recompute_days(exact_job, days)
        exact = connection.execute(select_row, key).mappings().one()
        requeued = queue_other_basis(connection, water.ClassBasis.PUBLISHED)
        queued = connection.execute(text("select station, day from recompute_queue")).all()
        revisions = connection.execute(
            text("select previous, current from figure_revisions where table_name = 'water_period' and key = :key"),
            {"key": json.dumps(key)},
        ).all()
    assert published["means"]["tp"] == "0.2004"
    assert str(reporting.DEFAULT_TABLE.concentration_value("tp", Decimal(published["means"]["tp"]))) == "0.20"
    assert (published["water_class"], published["label"], published["main_pollutants"]) == (3, "Ⅲ", [])
    assert (exact["water_class"], exact["label"], exact["main_pollutants"]) == (4, "Ⅳ", ["tp"])
    assert exact["revision"] == published["revision"] + 1
    assert [(r.previous["water_class"], r.current["water_class"]) for r in revisions] == [(3, 4)]
    assert (published["class_basis"], exact["class_basis"]) == ("published", "exact")
    # a service started with the published basis restates the periods classed exactly: the month and its year
    assert requeued == 2
    assert set(queued) == {(SECTION, MONTH.first_day), (SECTION, date(2026, 1, 1))}
