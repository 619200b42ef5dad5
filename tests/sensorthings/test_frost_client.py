"""Fraunhofer's frost-sta-client (written for FROST-Server, not for us) reads the boundary sections from
``envmon sensorthings`` running in its own process: it checks the contract from outside."""

from __future__ import annotations

import frost_sta_client as fsc
import pytest
from frost_sta_client.service.auth_handler import AuthHandler

from tests.support.sensorthings import FUYANG_KEY, HOURS, XIAOSHAN_KEY

pytestmark = pytest.mark.integration


def _service(server: str, key: str) -> fsc.SensorThingsService:
    return fsc.SensorThingsService(f"{server}/v1.1", auth_handler=AuthHandler(username="partner", password=key))


def test_the_client_lists_things_pages_through_observations_and_filters_by_time(server: str) -> None:
    service = _service(server, XIAOSHAN_KEY)
    things = {thing.id: thing for thing in service.things().query().list()}
    assert {"XXJ-YANGXUN", "XXJ-YANGXUN-XS", "PYJ-JINHUA", "PYJ-JINHUA-XS"} <= set(things)
    assert things["XXJ-YANGXUN-XS"].properties["monitorsSection"] == "XXJ-YANGXUN"

    streams = service.datastreams().query().filter("Thing/id eq 'XXJ-YANGXUN-XS' and ObservedProperty/id eq 'nh3n'")
    stream = streams.list().get(0)
    assert stream.unit_of_measurement.symbol == "mg/L"

    # iterating follows @iot.nextLink page after page (40 a page) until every observation has been read
    observations = list(stream.get_observations().query().top(40).orderby("phenomenonTime", "ASC").list())
    assert len(observations) == HOURS
    assert observations[0].phenomenon_time == "2026-11-01T00:00:00Z"
    assert [o.result_quality["hj212Flag"] for o in observations[:8]][-1] == "M"

    day = (
        stream.get_observations()
        .query()
        .filter("phenomenonTime ge 2026-11-05T00:00:00+08:00 and phenomenonTime lt 2026-11-06T00:00:00+08:00")
        .list()
    )
    assert len(list(day)) == 24


def test_a_key_cannot_read_a_station_outside_its_scope_through_the_client(server: str) -> None:
    service = _service(server, FUYANG_KEY)
    assert [thing.id for thing in service.things().query().list()] == ["HYJ-ZHUJI-FUYANG"]
    with pytest.raises(Exception, match="404"):
        service.datastreams().find("XXJ-YANGXUN-XS:nh3n")
