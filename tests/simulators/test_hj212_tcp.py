from __future__ import annotations

from datetime import datetime, timedelta

from services.standards import hj212
from services.standards.local_time import BEIJING_TIME
from services.standards.parameters import BY_HJ212_CODE
from simulators.hj212_tcp import TYPICAL_WATER_SECTION, LoggerIdentity, station_values
from simulators.messages import Format, hj212_only
from simulators.plan import PlanConfig, plan
from simulators.stations import load_gateways, select_gateways
from simulators.values import sample

START = datetime(2026, 1, 10, tzinfo=BEIJING_TIME)


def test_a_logger_sends_the_same_values_as_the_plan_for_its_station() -> None:
    gateways = select_gateways(load_gateways(), ["gw-pyj-jinhua"])
    spec = gateways[0].stations[0]
    [message] = plan(PlanConfig(seed=7, format=Format.HJ212), gateways, START, START + timedelta(hours=1))
    identity = LoggerIdentity(mn="330681000000000000000001", pw="123456", station=spec, seed=7)
    assert hj212.parse(message.payload).values == identity.values(START)
    assert identity.st == hj212.SystemCode.SURFACE_WATER


def test_the_typical_section_is_the_value_generators_with_hj212_codes() -> None:
    record = station_values(START)
    values = sample(212, TYPICAL_WATER_SECTION, START).values
    assert {BY_HJ212_CODE[code].code: fields["Avg"] for code, fields in record.items()} == values
    assert {fields["Flag"] for fields in record.values()} == {"N"}
    assert station_values(START, seed=1) != record


def test_only_stations_with_an_mn_are_played_as_data_loggers() -> None:
    loggers = hj212_only(load_gateways())
    stations = {s.code for g in loggers for s in g.stations}
    assert "PYJ-JINHUA" in stations and "XXJ-YANGXUN" in stations
    assert not any(code.startswith(("WST-", "CEJ-")) for code in stations)
    assert all(s.hj212_mn is not None and g.hj212_password is not None for g in loggers for s in g.stations)
