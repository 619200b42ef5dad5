"""One in-process replica against the session broker and database: storage, dedup, rejects, HJ 212 replies."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from sqlalchemy import Engine, select

from devstack.ingest_stream import WATER_VALUES, connect, publish_all, water_messages
from devstack.mosquitto import MosquittoBroker
from services.common import topics
from services.common.redaction import redact
from services.ingest.settings import IngestSettings
from services.standards import hj212
from services.standards.local_time import BEIJING_TIME
from services.storage.schema import readings, recompute_queue, rejected_messages
from tests.support.gateway_documents import bad_documents, sample
from tests.support.ingest import (
    SettingsFactory,
    collector,
    metric,
    reading_count,
    reject_reasons,
    running,
    wait_for,
    wait_for_rows,
)

pytestmark = pytest.mark.integration

GATEWAY = "gw-pyj-jinhua"
JINHUA_MN = "330681000000000000000001"


def _recent(minutes: int = 30) -> datetime:
    return (datetime.now(BEIJING_TIME) - timedelta(minutes=minutes)).replace(second=0, microsecond=0)


def test_stores_once_and_counts_duplicates(
    ingest_settings: SettingsFactory, broker: MosquittoBroker, mqtt_accounts: dict[str, str], db: Engine
) -> None:
    url = broker.url(GATEWAY, mqtt_accounts[GATEWAY])
    stream = list(water_messages(20, start=_recent(60)))
    with running(ingest_settings()) as service:
        publish_all(url, stream + stream[:10])  # ten messages re-sent
        expected = len(stream) * len(WATER_VALUES)
        wait_for(lambda: metric(service, "envmon_ingest_messages_acked_total") >= 30, "30 acks")
        assert reading_count(db) == expected
        assert metric(service, "envmon_ingest_readings_duplicate_total") == 10 * len(WATER_VALUES)
        assert metric(service, "envmon_ingest_readings_stored_total") == expected
    with db.connect() as connection:
        stored = connection.execute(
            select(readings.c.value, readings.c.gateway, readings.c.source).where(readings.c.parameter == "ph").limit(1)
        ).one()
    assert stored == (7.35, None, "mqtt-json")


def test_bad_readings_rejected_alone_with_reply_and_correlation(
    ingest_settings: SettingsFactory, broker: MosquittoBroker, mqtt_accounts: dict[str, str], db: Engine
) -> None:
    url = broker.url(GATEWAY, mqtt_accounts[GATEWAY])
    moment = _recent()
    batch = {
        "readings": [
            {"time": moment.isoformat(), "values": {"ph": 7.1, "do": "high", "zz": 1}, "flags": {"ph": "M"}},
            {"time": moment.replace(tzinfo=None).isoformat(), "values": {"ph": 7.2}},
            {"time": (moment + timedelta(minutes=5)).isoformat(), "values": {"ph": 15, "tp": 0.2}},
        ]
    }
    listener, replies = collector(url, topics.rejects_topic("PYJ-JINHUA"))
    gateway = connect(url, "gw-jinhua-correlated")
    properties = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
    properties.CorrelationData = b"req-42"
    properties.UserProperty = ("gateway", GATEWAY)
    with running(ingest_settings()):
        gateway.publish(
            topics.data_topic("PYJ-JINHUA", "water"), json.dumps(batch), qos=1, properties=properties
        ).wait_for_publish(10)
        wait_for(lambda: len(replies) == 1, "the rejects reply")
    gateway.disconnect()
    listener.disconnect()
    assert reading_count(db) == 2  # ph of set 0 (flag M) and tp of set 2
    assert sorted(reject_reasons(db)) == ["not_numeric", "out_of_range", "time_without_offset", "unknown_parameter"]
    body = json.loads(replies[0].payload)
    assert body["stored"] == 2
    assert {(r["reason"], r["index"]) for r in body["rejects"]} == {
        ("not_numeric", 0),
        ("unknown_parameter", 0),
        ("time_without_offset", 1),
        ("out_of_range", 2),
    }
    assert getattr(replies[0].properties, "CorrelationData", None) == b"req-42"
    with db.connect() as connection:
        flag = connection.execute(select(readings.c.flag).where(readings.c.parameter == "ph")).scalar_one()
    assert flag == "M"


def test_hj212_frame_stored_with_flags_and_9014_reply(
    ingest_settings: SettingsFactory, broker: MosquittoBroker, mqtt_accounts: dict[str, str], db: Engine
) -> None:
    url = broker.url(GATEWAY, mqtt_accounts[GATEWAY])
    moment = _recent()
    frame = hj212.data_frame(
        st=21,
        cn=hj212.Command.HOURLY_DATA,
        mn=JINHUA_MN,
        pw="123456",
        data_time=moment,
        qn="20261127090000123",
        needs_reply=True,
        values={
            "w21003": {"Min": "0.30", "Avg": "0.412", "Max": "0.50", "Flag": "N"},
            "w01001": {"Avg": "7.4", "Flag": "C"},
            "a34004": {"Avg": "35"},  # an air factor on a water station
        },
    )
    wrong_station = hj212.data_frame(
        st=21,
        cn=hj212.Command.REALTIME_DATA,
        mn="330681000000000000000002",
        pw="123456",
        data_time=moment,
        values={"w01001": {"Rtd": "7"}},
    )
    listener, replies = collector(url, topics.hj212_reply_topic("PYJ-JINHUA"))
    topic = topics.hj212_topic("PYJ-JINHUA")
    with running(ingest_settings()):
        publish_all(
            url,
            [
                (topic, hj212.build(frame)),
                (topic, hj212.build(wrong_station)),
                (topic, hj212.build(frame)[:-4] + b"\r\n"),
            ],
        )
        wait_for(lambda: len(reject_reasons(db)) == 3 and len(replies) == 1, "frames processed")
    listener.disconnect()
    reply = hj212.parse(bytes(replies[0].payload))
    assert (reply.cn, reply.qn, reply.mn, reply.needs_reply) == (hj212.Command.DATA_REPLY, frame.qn, JINHUA_MN, False)
    with db.connect() as connection:
        rows = connection.execute(
            select(
                readings.c.parameter,
                readings.c.value,
                readings.c.flag,
                readings.c.time,
                readings.c.source,
                readings.c.gateway,
            ).order_by(readings.c.parameter)
        ).all()
    assert rows == [
        ("nh3n", 0.412, "N", moment.astimezone(UTC), "hj212", GATEWAY),
        ("ph", 7.4, "C", moment.astimezone(UTC), "hj212", GATEWAY),
    ]
    assert sorted(reject_reasons(db)) == ["hj212_length", "hj212_mn_station_mismatch", "wrong_kind_parameter"]


def test_late_reading_queues_its_local_day_and_platform_topics_are_skipped(
    ingest_settings: SettingsFactory, broker: MosquittoBroker, mqtt_accounts: dict[str, str], db: Engine
) -> None:
    url = broker.url(GATEWAY, mqtt_accounts[GATEWAY])
    # 16:30 UTC on 1 Nov is 00:30 on 2 Nov Beijing time: the queued day must be the local one.
    late = datetime(2026, 11, 1, 16, 30, tzinfo=UTC)
    ingest: IngestSettings = ingest_settings()
    service_url = ingest.mqtt_url
    with running(ingest) as service:
        publish_all(url, water_messages(2, start=late, step=timedelta(minutes=5)))
        publish_all(service_url, [(topics.rejects_topic("PYJ-JINHUA"), b"{}")], client_id="platform-output")
        wait_for_rows(db, 2 * len(WATER_VALUES))
        wait_for(lambda: metric(service, "envmon_ingest_messages_acked_total") >= 3, "3 acks")
    with db.connect() as connection:
        queued = connection.execute(
            select(recompute_queue.c.station, recompute_queue.c.day, recompute_queue.c.readings)
        ).all()
        rejected = connection.execute(select(rejected_messages.c.id)).all()
    assert queued == [("PYJ-JINHUA", datetime(2026, 11, 2).date(), 2 * len(WATER_VALUES))]
    assert rejected == []
    assert Decimal(str(WATER_VALUES["ph"])) == Decimal("7.35")


BAD_PAYLOADS_END_TO_END = 200
GOOD_EVERY = 4  # one good message after every this many bad ones


def test_bad_payloads_through_the_broker_are_rejected_while_good_data_is_stored(
    ingest_settings: SettingsFactory, broker: MosquittoBroker, mqtt_accounts: dict[str, str], db: Engine
) -> None:
    bad = sample(bad_documents, BAD_PAYLOADS_END_TO_END)
    good = list(water_messages(len(bad) // GOOD_EVERY, start=_recent(600)))
    topic = topics.data_topic("PYJ-JINHUA", "water")
    stream = [
        message
        for index, payload in enumerate(bad)
        for message in [(topic, payload), *([good[index // GOOD_EVERY]] if index % GOOD_EVERY == 0 else [])]
    ]
    with running(ingest_settings()) as service:
        publish_all(broker.url(GATEWAY, mqtt_accounts[GATEWAY]), stream)
        wait_for(lambda: metric(service, "envmon_ingest_messages_acked_total") >= len(stream), "every message acked")
        assert service.health().ready
    assert reading_count(db) == len(good) * len(WATER_VALUES)
    with db.connect() as connection:
        rejected = connection.execute(
            select(rejected_messages.c.payload, rejected_messages.c.reason, rejected_messages.c.detail)
        ).all()
    # every bad payload (secrets masked), each with a reason
    assert {bytes(payload) for payload, _, _ in rejected} == {redact(payload) for payload in bad}
    assert all(reason and detail for _, reason, detail in rejected)
