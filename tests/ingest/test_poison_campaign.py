"""The poison campaign: edge-case messages drawn by Hypothesis (tests/support/poison.py) go end to end
through the real broker, ingest and TimescaleDB, each followed by a valid message. Every valid
reading must be stored, every bad message rejected with a reason (its reject row holds it, secrets
masked), nothing acked before its outcome is committed (once all are acked, all are in the database),
and the replica must stay ready on its first broker connection and its first worker."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine, select, text

from devstack.ingest_stream import WATER_VALUES, publish_all, water_messages
from devstack.mosquitto import MosquittoBroker
from services.common.redaction import redact
from services.standards.local_time import BEIJING_TIME
from services.storage.schema import rejected_messages
from tests.support.gateway_documents import sample
from tests.support.ingest import SettingsFactory, metric, reading_count, running, wait_for
from tests.support.poison import poison_messages, size_edges

pytestmark = pytest.mark.integration

GATEWAY = "gw-pyj-jinhua"
# Bounded: each example is a real round trip; the suite has a time budget (about 10 s on 2 cores).
DRAWN_EXAMPLES = 120
ACKED_SECONDS = 120.0


def test_every_edge_is_rejected_with_a_reason_while_every_valid_reading_is_stored(
    ingest_settings: SettingsFactory, broker: MosquittoBroker, mqtt_accounts: dict[str, str], db: Engine
) -> None:
    bad = [*sample(poison_messages, DRAWN_EXAMPLES), *size_edges()]
    recent = (datetime.now(BEIJING_TIME) - timedelta(hours=1)).replace(second=0, microsecond=0)
    good = list(water_messages(len(bad), start=recent, step=timedelta(seconds=10)))
    stream = [message for pair in zip(bad, good, strict=True) for message in pair]
    with running(ingest_settings()) as service:
        publish_all(broker.url(GATEWAY, mqtt_accounts[GATEWAY]), stream)
        wait_for(
            lambda: metric(service, "envmon_ingest_messages_acked_total") >= len(stream),
            "every message acked",
            ACKED_SECONDS,
        )
        # Read at once, while the replica runs: an ack follows its message's commit, so everything acked is stored.
        stored = reading_count(db)
        with db.connect() as connection:
            rows = connection.execute(
                select(rejected_messages.c.payload, rejected_messages.c.reason, rejected_messages.c.detail)
            ).all()
        assert service.health().ready
        assert service.pipeline.consumer.generation == 1  # never disconnected by the broker
        assert metric(service, "envmon_ingest_worker_restarts_total", {"cause": "died"}) == 0
        assert metric(service, "envmon_ingest_worker_restarts_total", {"cause": "stalled"}) == 0
    if stored != len(good) * len(WATER_VALUES):  # name what a bad message got stored
        valid_times = {datetime.fromisoformat(json.loads(payload)["time"]) for _, payload in good}
        with db.connect() as connection:
            readings = connection.execute(text("select time, parameter, value from readings")).all()
        assert [row for row in readings if row.time not in valid_times] == []
        assert stored == len(good) * len(WATER_VALUES)
    assert all(reason and detail for _, reason, detail in rows)
    recorded = {hashlib.sha256(bytes(payload)).digest() for payload, _, _ in rows}
    missing = [payload[:120] for _, payload in bad if hashlib.sha256(redact(payload)).digest() not in recorded]
    assert missing == []
