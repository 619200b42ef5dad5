"""Station programmes: the file's rules, the report grid, the stored rows and the query API."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError

from services.standards.local_time import BEIJING_TIME, day_start
from services.standards.parameters import Kind
from services.storage.programmes import (
    ProgrammeError,
    ProgrammePeriod,
    Programmes,
    expected_samples,
    grid_times,
    load_programmes,
    parse_interval,
    programme_on,
    programmes_from_file,
    read_programme_file,
    slots_between,
)
from services.storage.seed import REGISTRY_DIR, read_programmes_yaml, read_registry_yaml, seed, station_kinds

HOUR = timedelta(hours=1)
JUNE = day_start(date(2026, 6, 1))
JULY = day_start(date(2026, 7, 1))
AUGUST = day_start(date(2026, 8, 1))


@pytest.mark.parametrize(
    ("text_", "interval"),
    [
        ("15min", timedelta(minutes=15)),
        ("1h", HOUR),
        ("4h", 4 * HOUR),
        ("1d", timedelta(days=1)),
        ("90min", 1.5 * HOUR),
    ],
)
def test_intervals_that_divide_a_day_are_accepted(text_: str, interval: timedelta) -> None:
    assert parse_interval(text_) == interval


@pytest.mark.parametrize("text_", ["7h", "2d", "0h", "5s", "1 hour", "h", "-1h", "1.5h", "４h"])
def test_intervals_that_do_not_divide_a_day_are_refused(text_: str) -> None:
    with pytest.raises(ValueError, match="interval"):
        parse_interval(text_)


def test_the_grid_is_anchored_at_beijing_midnight() -> None:
    start = datetime(2026, 1, 1, 0, 30, tzinfo=BEIJING_TIME)
    times = grid_times(4 * HOUR, start, start + timedelta(days=1))
    assert [t.astimezone(BEIJING_TIME).hour for t in times] == [4, 8, 12, 16, 20, 0]
    assert slots_between(4 * HOUR, start, start + timedelta(days=1)) == 6
    assert slots_between(timedelta(days=1), start, start) == 0


@given(
    interval=st.sampled_from([timedelta(minutes=m) for m in (1, 5, 15, 30, 60, 240, 1440)]),
    start=st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(UTC)),
    length=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=3)),
)
@settings(max_examples=300, deadline=None)
def test_slot_counts_match_the_listed_grid(interval: timedelta, start: datetime, length: timedelta) -> None:
    times = grid_times(interval, start, start + length)
    assert slots_between(interval, start, start + length) == len(times)
    assert all(start <= t < start + length for t in times)
    assert all((t - day_start(t.astimezone(BEIJING_TIME).date())) % interval == timedelta(0) for t in times)


def test_a_programme_answers_by_day_and_across_its_history() -> None:
    programmes = Programmes(
        (
            ProgrammePeriod("S", "nh3n", 4 * HOUR, date(2026, 1, 1), date(2026, 7, 1)),
            ProgrammePeriod("S", "nh3n", HOUR, date(2026, 7, 1)),
            ProgrammePeriod("S", "tn", 4 * HOUR, date(2026, 7, 1)),
        )
    )
    assert programmes.on(date(2026, 6, 30)) == {"S": {"nh3n": 4 * HOUR}}
    assert programmes.on(date(2026, 7, 1)) == {"S": {"nh3n": HOUR, "tn": 4 * HOUR}}
    assert programmes.on(date(2025, 12, 31)) == {}
    assert programmes.expected_samples("S", "nh3n", JUNE, AUGUST) == 30 * 6 + 31 * 24
    assert programmes.expected_samples("S", "tn", JUNE, AUGUST) == 31 * 6
    assert programmes.expected_samples("S", "co", JUNE, AUGUST) == 0
    assert programmes.interval("S", "nh3n", JULY - timedelta(minutes=1)) == 4 * HOUR
    assert programmes.interval("S", "tn", JULY - timedelta(minutes=1)) is None
    schedule = programmes.schedule("S", JULY - 4 * HOUR, JULY + HOUR)
    assert schedule == {JULY - 4 * HOUR: ("nh3n",), JULY: ("nh3n", "tn")}


def test_the_shipped_programme_covers_every_station_with_its_own_kind() -> None:
    stations, _ = read_registry_yaml()
    programmes = read_programmes_yaml()
    kinds = station_kinds(stations)
    assert set(programmes.stations) == set(kinds)
    shangpu, xinchang = programmes.on(date(2026, 6, 30)), programmes.on(date(2026, 7, 1))
    assert "tn" not in shangpu["CEJ-SHANGPU"] and xinchang["CEJ-SHANGPU"]["tn"] == 4 * HOUR
    assert "co" not in xinchang["AIR-XINCHANG"]
    assert set(xinchang["WST-INDUSTRIAL"].values()) == {timedelta(days=1)}


BAD_FILES = [
    ("NOPE-1: [{from: 2024-01-01, interval: 1h, parameters: [ph]}]", "not in the registry: NOPE-1"),
    ("PYJ-JINHUA: [{from: 2024-01-01, interval: 1h, parameters: [pm25]}]", "not water parameters: pm25"),
    ("PYJ-JINHUA: [{from: 2024-01-01, interval: 7h, parameters: [ph]}]", "must divide a day"),
    ("PYJ-JINHUA: [{from: 2024-01-01, until: 2024-01-01, interval: 1h, parameters: [ph]}]", "must be after"),
    ("PYJ-JINHUA: [{from: 2024-01-01, interval: 1h, parameters: [ph, ph]}]", "listed twice: ph"),
    (
        "PYJ-JINHUA: [{from: 2024-01-01, interval: 1h, parameters: [ph]},"
        " {from: 2025-01-01, interval: 4h, parameters: [ph]}]",
        "ph from 2024-01-01 \\(open-ended\\) overlaps the period from 2025-01-01",
    ),
    ("PYJ-JINHUA: [{from: 2024-01-01, interval: 1h, parameters: [ph], every: 2}]", "every"),
]


@pytest.mark.parametrize(("entry", "message"), BAD_FILES)
def test_a_bad_programme_is_refused_naming_the_station(tmp_path: Path, entry: str, message: str) -> None:
    (tmp_path / "programmes.yaml").write_text(f"stations:\n  {entry}\n", encoding="utf-8")
    with pytest.raises(ProgrammeError, match=message):
        programmes_from_file(read_programme_file(tmp_path), {"PYJ-JINHUA": Kind.WATER})


def test_a_station_without_a_programme_is_refused(tmp_path: Path) -> None:
    (tmp_path / "programmes.yaml").write_text("stations:\n  PYJ-JINHUA: []\n", encoding="utf-8")
    kinds = {"PYJ-JINHUA": Kind.WATER, "AIR-ZHUJI": Kind.AIR}
    with pytest.raises(ProgrammeError, match="stations without a programme: AIR-ZHUJI"):
        programmes_from_file(read_programme_file(tmp_path), kinds)


@pytest.mark.integration
def test_seed_stores_the_programme_and_the_api_answers_from_it(engine: Engine) -> None:
    with engine.begin() as connection:
        seed(connection)
        assert set(load_programmes(connection).periods) == set(read_programmes_yaml().periods)
        on_day = programme_on(connection, date(2026, 6, 30))
        assert on_day["PYJ-ANHUA"]["nh3n"] == 4 * HOUR and on_day["PYJ-JINHUA"]["nh3n"] == HOUR
        assert expected_samples(connection, "CEJ-SHANGPU", "tn", JUNE, AUGUST) == 31 * 6
        assert expected_samples(connection, "WST-LANDFILL", "landfilled", JUNE + timedelta(minutes=1), JULY) == 29
        assert expected_samples(connection, "AIR-XINCHANG", "co", JUNE, AUGUST) == 0


@pytest.mark.integration
def test_the_database_refuses_overlapping_periods_and_odd_intervals(engine: Engine) -> None:
    insert = text(
        "insert into station_programmes (station, parameter, interval, valid_from, valid_to) "
        "values ('PYJ-JINHUA', 'ph', cast(:interval as interval), :valid_from, null)"
    )
    for params, constraint in [
        ({"interval": "1 hour", "valid_from": date(2030, 1, 1)}, "station_programmes_one_period_a_day"),
        ({"interval": "7 hours", "valid_from": date(2000, 1, 1)}, "station_programmes_interval"),
    ]:
        with pytest.raises(IntegrityError, match=constraint), engine.begin() as connection:
            seed(connection)
            connection.execute(insert, params)


@pytest.mark.integration
def test_a_changed_programme_queues_its_days_that_hold_readings(db: Engine, tmp_path: Path) -> None:
    for name in ("parties.yaml", "stations.yaml", "gateways.yaml", "programmes.yaml"):
        shutil.copy(REGISTRY_DIR / name, tmp_path / name)
    changed = (tmp_path / "programmes.yaml").read_text(encoding="utf-8")
    changed = changed.replace(
        "  PYJ-ANHUA:\n    - {from: 2024-01-01, interval: 4h, parameters: *automatic_water}",
        "  PYJ-ANHUA:\n    - {from: 2024-01-01, until: 2026-11-29, interval: 4h, parameters: *automatic_water}\n"
        "    - {from: 2026-11-29, interval: 1h, parameters: *automatic_water}",
    )
    (tmp_path / "programmes.yaml").write_text(changed, encoding="utf-8")
    now = datetime(2026, 12, 1, 10, tzinfo=BEIJING_TIME)
    with db.begin() as connection:
        seed(connection, now=now)
        connection.execute(
            text(
                "insert into readings (time, station, parameter, value, source) "
                "values (:time, 'PYJ-ANHUA', 'ph', 7.1, 'mqtt-json')"
            ),
            {"time": datetime(2026, 11, 30, 8, tzinfo=BEIJING_TIME)},
        )
        seed(connection, tmp_path, now=now)
        queued = connection.execute(text("select station, day from recompute_queue order by day")).all()
        interval = programme_on(connection, date(2026, 11, 29))["PYJ-ANHUA"]["ph"]
        seed(connection, now=now)  # back to the shipped programme
    assert interval == HOUR
    # From the change (or the first reading, whichever is later) to today.
    assert queued == [("PYJ-ANHUA", date(2026, 11, 30)), ("PYJ-ANHUA", date(2026, 12, 1))]
