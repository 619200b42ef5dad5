from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from services.common.topics import data_topic, hj212_topic
from services.standards import hj212
from services.standards.local_time import BEIJING_TIME
from simulators.faults import FAULT, MALFORMED_PAYLOADS, OVER_RANGE, Faults, OfflineWindow
from simulators.messages import Format
from simulators.plan import CrcChoice, PlanConfig, plan
from simulators.stations import GatewaySpec, load_gateways, select_gateways

GATEWAYS = load_gateways()
START = datetime(2026, 1, 10, tzinfo=BEIJING_TIME)
DAY = timedelta(days=1)


def gateway(gateway_id: str) -> tuple[GatewaySpec, ...]:
    return select_gateways(GATEWAYS, [gateway_id])


def test_json_messages_follow_the_topic_contract() -> None:
    messages = plan(PlanConfig(), gateway("gw-cej"), START, START + DAY)
    assert {m.topic for m in messages} == {data_topic(s.code, "water") for s in gateway("gw-cej")[0].stations}
    body = json.loads(messages[0].payload)
    assert datetime.fromisoformat(body["time"]).utcoffset() == timedelta(hours=8)
    assert set(body) == {"time", "values"}  # flags are sent only when not N
    assert [m.due for m in messages] == sorted(m.due for m in messages)


def test_batches_stay_under_the_reading_limit_and_lose_nothing() -> None:
    config = PlanConfig(batch=True, max_batch_readings=500)
    single = plan(PlanConfig(), gateway("gw-air-zhuji"), START, START + 10 * DAY)
    batched = plan(config, gateway("gw-air-zhuji"), START, START + 10 * DAY)
    assert all(m.readings <= 500 for m in batched)
    entries = [e for m in batched for e in json.loads(m.payload)["readings"]]
    assert entries == [json.loads(m.payload) for m in single]


@pytest.mark.parametrize(
    ("gateway_id", "choice", "variant"),
    [
        ("gw-pyj-jinhua", CrcChoice.STANDARD, hj212.CrcVariant.STANDARD),
        ("gw-xxj-yangxun", CrcChoice.REGISTRY, hj212.CrcVariant.MODBUS),
        ("gw-pyj-jinhua", CrcChoice.REGISTRY, hj212.CrcVariant.STANDARD),
        ("gw-air-yuecheng", CrcChoice.MODBUS, hj212.CrcVariant.MODBUS),
    ],
)
def test_hj212_frames_parse_with_the_configured_crc(
    gateway_id: str, choice: CrcChoice, variant: hj212.CrcVariant
) -> None:
    messages = plan(PlanConfig(format=Format.HJ212, crc=choice), gateway(gateway_id), START, START + DAY)
    assert messages and all(m.topic.endswith("/hj212") for m in messages)
    frame = hj212.parse(messages[0].payload, accept_modbus_crc=True)
    assert frame.cn == hj212.Command.HOURLY_DATA
    assert frame.data_time == START
    if variant is hj212.CrcVariant.MODBUS:
        with pytest.raises(hj212.FrameError):
            hj212.parse(messages[0].payload)
    else:
        assert hj212.parse(messages[0].payload) == frame


def test_hj212_falls_back_to_json_where_the_registry_has_no_mn() -> None:
    messages = plan(PlanConfig(format=Format.HJ212), gateway("gw-waste"), START, START + DAY)
    assert {m.topic for m in messages} == {data_topic(s.code, "waste") for s in gateway("gw-waste")[0].stations}
    assert hj212_topic("WST-LANDFILL") not in {m.topic for m in messages}


def test_flags_t_and_d_appear_at_their_rates() -> None:
    faults = Faults(over_range_rate=0.1, fault_rate=0.1)
    messages = plan(PlanConfig(faults=faults), gateway("gw-air-keqiao"), START, START + 10 * DAY)
    flags = [f for m in messages for f in json.loads(m.payload).get("flags", {}).values()]
    values = sum(m.readings for m in messages)
    assert 0.05 < flags.count(OVER_RANGE) / values < 0.15
    assert 0.05 < flags.count(FAULT) / values < 0.15


def test_duplicates_late_and_malformed_messages() -> None:
    faults = Faults(duplicate_rate=0.1, late_rate=0.1, late_by=timedelta(hours=5), malformed_rate=0.05)
    clean = plan(PlanConfig(), gateway("gw-air-keqiao"), START, START + 10 * DAY)
    faulty = plan(PlanConfig(faults=faults), gateway("gw-air-keqiao"), START, START + 10 * DAY)
    notes = [m.note for m in faulty]
    assert notes.count("duplicate") > 0 and notes.count("late") > 0 and notes.count("malformed") > 0
    assert all(m.payload in MALFORMED_PAYLOADS for m in faulty if m.note == "malformed")
    late = [m for m in faulty if m.note == "late"]
    assert all(json.loads(m.payload)["time"] < m.due.isoformat() for m in late)
    assert len(faulty) == len(clean) + notes.count("duplicate")
    assert faulty == plan(PlanConfig(faults=faults), gateway("gw-air-keqiao"), START, START + 10 * DAY)


def test_an_offline_gateway_catches_up_in_one_batch_when_back() -> None:
    window = OfflineWindow("gw-air-zhuji", START + timedelta(hours=6), START + timedelta(hours=18))
    messages = plan(PlanConfig(faults=Faults(offline=(window,))), gateway("gw-air-zhuji"), START, START + DAY)
    catch_up = [m for m in messages if m.due == window.end and "readings" in json.loads(m.payload)]
    assert len(catch_up) == 1
    held = [datetime.fromisoformat(e["time"]) for e in json.loads(catch_up[0].payload)["readings"]]
    assert held == [window.start + timedelta(hours=h) for h in range(12)]
    assert len(messages) == 24 - 12 + 1


def test_a_gap_loses_the_window_for_good_while_the_gateway_goes_on_reporting() -> None:
    window = OfflineWindow("gw-air-zhuji", START + timedelta(hours=6), START + timedelta(hours=18), resend=False)
    messages = plan(PlanConfig(faults=Faults(offline=(window,))), gateway("gw-air-zhuji"), START, START + DAY)
    sent = sorted(datetime.fromisoformat(json.loads(m.payload)["time"]) for m in messages)
    assert sent == [START + timedelta(hours=h) for h in (*range(6), *range(18, 24))]


def test_daily_waste_totals_are_sent_once_the_day_is_over() -> None:
    messages = plan(PlanConfig(), gateway("gw-waste"), START, START + DAY)
    assert {m.due for m in messages} == {START}
    assert {json.loads(m.payload)["time"] for m in messages} == {(START - DAY).isoformat()}
