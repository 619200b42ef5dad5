"""A partner's gateway against the real broker and ingest: it reports for its own station, never for Shaoxing's."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import Engine, select

from devstack.ingest_stream import publish_all
from devstack.mosquitto import MosquittoBroker
from services.common.topics import data_topic
from services.storage.schema import readings
from tests.support.ingest import SettingsFactory, reading_count, reject_reasons, running, wait_for

pytestmark = pytest.mark.integration

XIAOSHAN_GATEWAY = "gw-xs-yangxun"
PAYLOAD = json.dumps({"time": "2026-11-27T09:00:00+08:00", "values": {"nh3n": 0.41}}).encode()


def test_a_xiaoshan_gateway_reports_for_its_station_and_cannot_for_a_shaoxing_station(
    ingest_settings: SettingsFactory, broker: MosquittoBroker, db: Engine, mqtt_accounts: dict[str, str]
) -> None:
    with running(ingest_settings()):
        # the foreign message first: QoS 1 from one client keeps order, so once the own one is stored
        # the foreign one has had every chance to arrive
        publish_all(
            broker.url(XIAOSHAN_GATEWAY, mqtt_accounts[XIAOSHAN_GATEWAY]),
            [(data_topic("XXJ-YANGXUN", "water"), PAYLOAD), (data_topic("XXJ-YANGXUN-XS", "water"), PAYLOAD)],
            client_id="partner-acl-test",
        )
        wait_for(lambda: reading_count(db) + len(reject_reasons(db)) >= 1, "the partner's reading")
    with db.connect() as connection:
        stored = connection.execute(select(readings.c.station, readings.c.parameter)).all()
    assert reject_reasons(db) == []
    assert stored == [("XXJ-YANGXUN-XS", "nh3n")]
