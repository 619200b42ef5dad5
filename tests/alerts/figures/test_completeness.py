"""Completeness and silence against the station programmes, on what the simulator's gateways send.

Without faults the simulator sends exactly its programme (4-hourly provincial water, hourly air, daily
waste totals the next day), so nothing is incomplete or silent; with its fault scenarios on (a gateway
offline since yesterday afternoon, a gap in another's readings), both data-quality rules fire.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import Connection, Engine, text

from services.alerts.figures.recompute import run_cycle
from services.alerts.rules.definitions import load_rules
from services.alerts.rules.lifecycle import State
from services.alerts.settings import BUILT_IN_RULES
from services.standards.local_time import day_start
from simulators.faults import NO_FAULTS, Faults, OfflineWindow
from simulators.plan import PlanConfig, plan
from simulators.stations import load_gateways
from tests.support.alert_rules import evaluate_once
from tests.support.alerts import Reading, copy_readings, job, local, reading

pytestmark = pytest.mark.integration

YESTERDAY = date(2026, 11, 26)
NOW = local(YESTERDAY + timedelta(days=1), 10, 30)
DATA_RULES = tuple(r for r in load_rules(BUILT_IN_RULES).rules if r.name in {"low_completeness", "station_silent"})
HOLD = max(r.for_duration for r in DATA_RULES)


def sent_readings(faults: Faults, now: datetime) -> list[Reading]:
    """The readings of every message the simulator's gateways have sent from yesterday's start until ``now``."""
    messages = plan(PlanConfig(faults=faults), load_gateways(), day_start(YESTERDAY), now)
    rows: list[Reading] = []
    for message in messages:
        if message.due > now:
            continue
        document = json.loads(message.payload)
        for entry in document.get("readings", [document]):
            at = datetime.fromisoformat(entry["time"])
            flags = entry.get("flags", {})
            rows += [reading(message.station, p, at, v, flags.get(p, "N")) for p, v in entry["values"].items()]
    return rows


def firing(connection: Connection, faults: Faults) -> set[tuple[str, str]]:
    """The data-quality alerts firing once their conditions have held for the rules' 10 minutes."""
    copy_readings(connection, sent_readings(faults, NOW))
    computation = job(connection, NOW)
    run_cycle(computation)
    at_once = evaluate_once(connection, DATA_RULES, computation)
    assert all(t.to_state is State.PENDING for t in at_once)
    held = evaluate_once(connection, DATA_RULES, job(connection, NOW + HOLD))
    return {(t.rule, t.subject) for t in held if t.to_state is State.FIRING}


def completeness(connection: Connection, stations: Iterable[str], day: date = YESTERDAY) -> dict[str, tuple[int, int]]:
    rows = connection.execute(
        text("select station, valid, expected from station_completeness where day = :day and station = any(:s)"),
        {"day": day, "s": list(stations)},
    ).all()
    return {station: (valid, expected) for station, valid, expected in rows}


def test_the_simulators_programme_shaped_data_raise_no_data_quality_alert(alerts_db: Engine) -> None:
    with alerts_db.begin() as connection:
        fired = firing(connection, NO_FAULTS)
        by_station = completeness(connection, ["PYJ-ANHUA", "PYJ-JINHUA", "AIR-XINCHANG", "WST-INDUSTRIAL"])
        today = completeness(connection, ["PYJ-ANHUA", "AIR-XINCHANG", "WST-INDUSTRIAL"], NOW.date())
        silent = connection.execute(text("select count(*) from station_status where silent")).scalar_one()
        stations = connection.execute(text("select count(*) from stations")).scalar_one()
        complete = connection.execute(
            text("select count(*) from station_completeness where day = :day and valid = expected"), {"day": YESTERDAY}
        ).scalar_one()
    assert fired == set()
    assert silent == 0 and complete == stations
    # 4-hourly (9 parameters + flow), hourly, five pollutants without CO ("/"), three daily industrial totals.
    assert by_station == {
        "PYJ-ANHUA": (60, 60),
        "PYJ-JINHUA": (240, 240),
        "AIR-XINCHANG": (120, 120),
        "WST-INDUSTRIAL": (3, 3),
    }
    # Today at 10:30, only reports whose period is over: 00:00 and 04:00 (not 08:00–12:00), 00:00 … 09:00,
    # and no daily total yet (today's arrives tomorrow) — provisional, neither low nor over 100 %.
    assert today == {"PYJ-ANHUA": (20, 20), "AIR-XINCHANG": (50, 50), "WST-INDUSTRIAL": (0, 0)}


def test_a_silent_gateway_and_a_gap_raise_both_data_quality_alerts(alerts_db: Engine) -> None:
    faults = Faults(
        offline=(
            # Down since yesterday 14:30 and not back: its 4-hourly station last reported 12:00, silent from 00:00.
            OfflineWindow("gw-pyj-anhua", NOW - timedelta(hours=20), NOW + timedelta(days=1)),
            # Yesterday 02:00–14:00 lost for good; the station reports again since.
            OfflineWindow("gw-air-zhuji", local(YESTERDAY, 2), local(YESTERDAY, 14), resend=False),
        )
    )
    with alerts_db.begin() as connection:
        fired = firing(connection, faults)
        by_station = completeness(connection, ["PYJ-ANHUA", "AIR-ZHUJI"])
        silence = connection.execute(
            text("select annotations ->> 'description' from alert_states where rule = 'station_silent'")
        ).scalar_one()
    assert fired == {
        ("station_silent", "PYJ-ANHUA"),
        ("low_completeness", "PYJ-ANHUA"),
        ("low_completeness", "AIR-ZHUJI"),
    }
    # 00:00, 04:00, 08:00 and 12:00 of six report times; 12 of 24 hours of six pollutants.
    assert by_station == {"PYJ-ANHUA": (40, 60), "AIR-ZHUJI": (72, 144)}
    assert silence == "PYJ-ANHUA 浦阳江安华断面 最后一条数据 2026-11-26 12:00，已 22 小时（监测方案每 4 小时上报）"
