"""Recompute against a real TimescaleDB: local-day boundaries, late data and revisions, the queue, coverage."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Connection, Engine, text

from services.alerts.figures.recompute import run_cycle
from services.standards.local_time import POSTGRES_ZONE
from tests.support.alert_rules import metric_values
from tests.support.alerts import CITY, air_day, insert, job, local, reading
from tests.support.programmes import programme_interval

pytestmark = pytest.mark.integration

PLACES = Decimal("1e-15")
NOW = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)  # 10:00 on 2026-11-27, Beijing time


def test_the_local_day_turns_at_1600_utc(alerts_db: Engine) -> None:
    with alerts_db.begin() as connection:
        insert(
            connection,
            [
                reading("PYJ-JINHUA", "nh3n", datetime(2026, 11, 26, 16, 0, tzinfo=UTC), 0.4),
                reading("PYJ-JINHUA", "nh3n", datetime(2026, 11, 26, 15, 59, 59, tzinfo=UTC), 0.8),
            ],
        )
        run_cycle(job(connection, NOW))
        days = connection.execute(
            text("select day, mean from water_daily where section = 'PYJ-JINHUA' order by day")
        ).all()
    assert days == [(date(2026, 11, 26), Decimal("0.8")), (date(2026, 11, 27), Decimal("0.4"))]


def test_late_data_revises_a_published_daily_aqi(alerts_db: Engine) -> None:
    day = date(2026, 11, 20)
    with alerts_db.begin() as connection:
        insert(connection, air_day(day))
        connection.execute(text("insert into recompute_queue (station, day) values ('AIR-KEQIAO', :day)"), {"day": day})
        run_cycle(job(connection, NOW))
    with alerts_db.begin() as connection:
        first = connection.execute(
            text("select aqi, revision, published_at is not null from air_daily where subject = :c and day = :d"),
            {"c": CITY, "d": day},
        ).one()
        # PM2.5 arrives late and high for the whole day at every city station.
        connection.execute(text("update readings set value = 100 where parameter = 'pm25'"))
        connection.execute(text("insert into recompute_queue (station, day) values ('AIR-KEQIAO', :day)"), {"day": day})
        run_cycle(job(connection, NOW + timedelta(minutes=5)))
        second = connection.execute(
            text("select aqi, revision, revised_at is not null from air_daily where subject = :c and day = :d"),
            {"c": CITY, "d": day},
        ).one()
        history = connection.execute(
            text(
                "select previous ->> 'aqi', current ->> 'aqi', revision from figure_revisions "
                "where table_name = 'air_daily' and key ->> 'subject' = :c"
            ),
            {"c": CITY},
        ).all()
    # PM2.5 30 → IAQI ⌈30·50/35⌉ = 43; PM2.5 100 → IAQI ⌈100 + 50·(100−60)/(115−60)⌉ = 137 (HJ 633—2026).
    assert first == (43, 0, True)
    assert second == (137, 1, True)
    assert history == [("43", "137", 1)]


def test_a_restatement_reuses_the_derived_hours_and_changed_readings_are_derived_anew(alerts_db: Engine) -> None:
    """A queue row without readings (a rule or setting changed) restates the day's figures from its stored
    1-hour values; one with readings derives them from the readings again."""
    day = date(2026, 11, 20)

    def city_pm25(connection: Connection, queued_readings: int, minutes: int) -> Decimal:
        connection.execute(
            text("insert into recompute_queue (station, day, readings) values ('AIR-KEQIAO', :day, :n)"),
            {"day": day, "n": queued_readings},
        )
        run_cycle(job(connection, NOW + timedelta(minutes=minutes)))
        value: Decimal = connection.execute(
            text("select pm25 from air_daily where subject = :c and day = :d"), {"c": CITY, "d": day}
        ).scalar_one()
        return value

    with alerts_db.begin() as connection:
        insert(connection, air_day(day))
        derived = city_pm25(connection, 1, 0)
        connection.execute(text("update readings set value = value + 100 where parameter = 'pm25'"))
        restated = city_pm25(connection, 0, 5)
        derived_anew = city_pm25(connection, 1, 10)
    assert restated == derived
    assert derived_anew == derived + 100


def test_unchanged_figures_are_not_revised(alerts_db: Engine) -> None:
    with alerts_db.begin() as connection:
        insert(connection, air_day(date(2026, 11, 26)))
        run_cycle(job(connection, NOW))
        run_cycle(job(connection, NOW + timedelta(minutes=1)))
        revisions = connection.execute(text("select count(*) from figure_revisions")).scalar_one()
    assert revisions == 0


def test_the_queue_keeps_rows_bumped_after_they_were_read(alerts_db: Engine) -> None:
    with alerts_db.begin() as connection:
        connection.execute(
            text(
                "insert into recompute_queue (station, day, modified_at) values "
                "('AIR-KEQIAO', '2026-10-01', '2026-11-27T00:00Z'), ('AIR-ZHUJI', '2026-10-02', '2026-11-27T00:00Z')"
            )
        )
        computation = job(connection, NOW)
        from services.alerts.figures.recompute import claim_queue, release_queue

        claimed = claim_queue(connection)
        # A concurrent ingest bumps one row after we read it.
        connection.execute(
            text("update recompute_queue set modified_at = '2026-11-27T01:00Z' where station = 'AIR-ZHUJI'")
        )
        release_queue(connection, claimed)
        left = connection.execute(text("select station from recompute_queue")).scalars().all()
        assert computation.today == date(2026, 11, 27)
    assert left == ["AIR-ZHUJI"]


def test_sub_hourly_readings_need_45_minutes_of_coverage(alerts_db: Engine) -> None:
    day = date(2026, 11, 26)
    # 5-minute PM2.5 at AIR-ZHUJI: 09:00 has nine samples (45 min), 10:00 only eight (40 min).
    samples = [reading("AIR-ZHUJI", "pm25", local(day, 9, m), 20 + m) for m in range(0, 45, 5)]
    samples += [reading("AIR-ZHUJI", "pm25", local(day, 10, m), 50) for m in range(0, 40, 5)]
    # 11:00 holds one sample: 5 minutes of a 5-minute programme, however long the gap after it.
    samples += [reading("AIR-ZHUJI", "pm25", local(day, 11), 40)]
    with programme_interval(alerts_db, "AIR-ZHUJI", "pm25", timedelta(minutes=5)), alerts_db.begin() as connection:
        insert(connection, samples)
        run_cycle(job(connection, NOW))
        hours: dict[int, Decimal | None] = dict(
            connection.execute(
                text(
                    "select extract(hour from hour at time zone :tz)::int, pm25 from air_hourly "
                    "where subject = 'AIR-ZHUJI' and hour < :noon"
                ),
                {"tz": POSTGRES_ZONE, "noon": local(day, 12)},
            ).all()
        )
    assert hours[9] == Decimal(sum(20 + m for m in range(0, 45, 5))) / 9
    assert hours[10] is None
    assert hours[11] is None


def test_waste_landfill_share_and_facility_load(alerts_db: Engine) -> None:
    day = date(2026, 11, 26)
    tonnes = {
        "incinerated": 2400,
        "food_waste": 500,
        "recycled": 300,
        "landfilled": 0.5,
        "industrial_generated": 200,
        "industrial_utilized": 150,
    }
    with alerts_db.begin() as connection:
        insert(connection, [reading("WST-INCINERATION", code, local(day, 8), value) for code, value in tonnes.items()])
        run_cycle(job(connection, NOW))
        share, rate = connection.execute(
            text("select landfill_share, utilization_rate from waste_daily where day = :d"), {"d": day}
        ).one()
        load = connection.execute(text("select load_ratio from waste_facility_daily")).scalar_one()
    # SQL numeric division keeps 20 places here; shares are compared at 15.
    assert share.quantize(PLACES) == (Decimal("0.5") / Decimal("3200.5")).quantize(PLACES)
    assert rate == Decimal("0.75")
    # Processed tonnes (routes + industrial utilised) over the 3000 t/d capacity.
    assert load.quantize(PLACES) == (Decimal("3350.5") / 3000).quantize(PLACES)


def test_flags_t_and_d_are_counted_and_feed_their_metric(alerts_db: Engine) -> None:
    with alerts_db.begin() as connection:
        insert(
            connection,
            [
                reading("AIR-ZHUJI", "pm25", NOW - timedelta(hours=1), 900, flag="T"),
                reading("AIR-ZHUJI", "pm10", NOW - timedelta(hours=1), 0, flag="D"),
                reading("AIR-ZHUJI", "so2", NOW - timedelta(hours=1), 5),
            ],
        )
        computation = job(connection, NOW)
        run_cycle(computation)
        counts = connection.execute(
            text(
                "select expected, received, valid, flagged_t, flagged_d from station_completeness "
                "where station = 'AIR-ZHUJI' and day = '2026-11-27'"
            )
        ).one()
        flagged = metric_values(connection, computation, ["station.flagged_t_or_d"])["station.flagged_t_or_d"]
        silent = connection.execute(
            text("select station, silent from station_status where station in ('AIR-ZHUJI', 'AIR-KEQIAO')")
        ).all()
    # Six pollutants hourly, the hours 00:00 … 09:00 over by 10:00; three readings at 09:00, one flag N.
    assert tuple(counts) == (6 * 10, 3, 1, 1, 1)
    assert flagged["AIR-ZHUJI"] == 2 and flagged["AIR-KEQIAO"] == 0
    assert sorted(silent) == [("AIR-KEQIAO", True), ("AIR-ZHUJI", False)]
