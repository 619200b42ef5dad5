"""The simulated stations report what their programme (the registry's programmes.yaml) says, when it says."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, timedelta

import pytest

from services.standards.local_time import BEIJING_TIME, day_start
from services.storage.seed import read_programmes_yaml
from simulators.plan import PlanConfig, plan, programme_sample
from simulators.stations import load_gateways, select_gateways

GATEWAYS = load_gateways()
STATIONS = {s.code: s for g in GATEWAYS for s in g.stations}
PROGRAMMES = read_programmes_yaml()
# Both sides of the shipped programme's history (曹娥江上浦闸 adds TN on 2026-07-01).
DAYS = (date(2026, 6, 30), date(2026, 7, 1))


@pytest.mark.parametrize("day", DAYS)
@pytest.mark.parametrize("station", sorted(STATIONS))
def test_each_report_carries_exactly_the_parameters_due(station: str, day: date) -> None:
    spec = STATIONS[station]
    start, end = day_start(day), day_start(day + timedelta(days=1))
    schedule = spec.schedule(start, end)
    sent = Counter(p for moment, due in schedule.items() for p in programme_sample(212, spec, moment, due).values)
    assert sent == {p: PROGRAMMES.expected_samples(station, p, start, end) for p in PROGRAMMES.on(day)[station]}
    assert all((moment - start) % min(PROGRAMMES.on(day)[station].values()) == timedelta(0) for moment in schedule)


def test_the_plan_follows_the_programme_history() -> None:
    gateway = select_gateways(GATEWAYS, ["CEJ-SHANGPU"])
    messages = plan(PlanConfig(), gateway, day_start(DAYS[0]), day_start(DAYS[1] + timedelta(days=1)))
    shangpu = [json.loads(m.payload) for m in messages if "CEJ-SHANGPU" in m.topic]
    with_tn = {m["time"][:10] for m in shangpu if "tn" in m["values"]}
    assert with_tn == {"2026-07-01"}
    assert len(shangpu) == 12  # every 4 hours


def test_a_station_without_a_pollutant_never_sends_it() -> None:
    messages = plan(PlanConfig(), select_gateways(GATEWAYS, ["AIR-XINCHANG"]), day_start(DAYS[0]), day_start(DAYS[1]))
    bodies = [json.loads(m.payload) for m in messages]
    assert len(bodies) == 24
    assert all(set(b["values"]) == {"pm25", "pm10", "so2", "no2", "o3"} for b in bodies)


def test_waste_daily_totals_are_stamped_at_midnight_and_sent_when_the_day_is_over() -> None:
    start = day_start(DAYS[0])
    messages = plan(PlanConfig(), select_gateways(GATEWAYS, ["WST-LANDFILL"]), start, start + timedelta(days=2))
    landfill = [m for m in messages if "WST-LANDFILL" in m.topic]
    assert [(m.due - start, json.loads(m.payload)["time"]) for m in landfill] == [
        (timedelta(0), (start - timedelta(days=1)).astimezone(BEIJING_TIME).isoformat()),
        (timedelta(days=1), start.astimezone(BEIJING_TIME).isoformat()),
    ]
