"""No single message stops the city's data: each stopper found by the outside fault check, end to end
through the real broker, ingest and TimescaleDB, followed by valid readings that must be stored; a
value the database refuses is bisected out of its batch; a message that kills or stalls the worker
is quarantined as poison after ``poison_crashes`` tries, across restarts, and ingest goes on."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select, text

from devstack.ingest_stream import WATER_VALUES, publish_all, water_messages
from devstack.mosquitto import MosquittoBroker
from services.common import topics
from services.ingest.service import IngestService
from services.standards import hj212
from services.standards.local_time import BEIJING_TIME
from services.storage.schema import ingest_suspects
from tests.support.ingest import (
    SettingsFactory,
    collector,
    metric,
    reading_count,
    reject_reasons,
    reject_rows,
    running,
    wait_for,
)
from tests.support.ingest_faults import KILL_WORKER, STALL_WORKER, serve_with_faults

pytestmark = pytest.mark.integration

GATEWAY = "gw-pyj-jinhua"
STATION = "PYJ-JINHUA"
MN = "330681000000000000000001"
WATER = topics.data_topic(STATION, "water")
FRAME = topics.hj212_topic(STATION)
START = datetime(2026, 10, 1, tzinfo=UTC)
GOOD_AFTER = 50  # valid messages published after each bad one
AFTER_SECONDS = 60.0  # generous: a loaded 2-core machine; on a quiet one they land within a second or two
BROKER_MAX_PACKET_BYTES = 2 * 1024 * 1024


@pytest.fixture
def url(broker: MosquittoBroker, mqtt_accounts: dict[str, str]) -> str:
    return broker.url(GATEWAY, mqtt_accounts[GATEWAY])


@pytest.fixture(autouse=True)
def no_suspects(db: Engine) -> Iterator[None]:
    with db.begin() as connection:
        connection.execute(text("truncate ingest_suspects"))
    yield
    with db.begin() as connection:
        connection.execute(text("truncate ingest_suspects"))


def reading_set(moment: datetime, values: object) -> dict[str, object]:
    return {"time": moment.isoformat(), "values": values}


def bad_then_good(
    service: IngestService,
    db: Engine,
    url: str,
    bad: list[tuple[str, bytes]],
    reasons: set[str],
    day: int,
    stored_before: int = 0,
) -> None:
    """Publish ``bad``, then GOOD_AFTER valid messages; all valid readings must land and each reason be recorded."""
    good = list(water_messages(GOOD_AFTER, start=START + timedelta(days=day)))
    publish_all(url, [*bad, *good])
    expected = stored_before + GOOD_AFTER * len(WATER_VALUES)
    wait_for(
        lambda: reading_count(db) == expected and reasons <= set(reject_reasons(db)),
        "the valid readings after the bad message, and its reject row",
        AFTER_SECONDS,
    )
    wait_for(
        lambda: metric(service, "envmon_ingest_messages_acked_total") >= len(bad) + len(good), "every message acked"
    )
    assert service.health().ready
    assert service.pipeline.consumer.generation == 1  # never disconnected by the broker
    assert metric(service, "envmon_ingest_worker_restarts_total", {"cause": "died"}) == 0


def test_stopper_1_a_value_float8_cannot_hold(ingest_settings: SettingsFactory, db: Engine, url: str) -> None:
    underflow = b'{"time": "2026-10-01T09:00:00+08:00", "values": {"ph": 1e-400, "do": 4.9e-324}}'
    frame = hj212.build(
        hj212.data_frame(
            st=21,
            cn=hj212.Command.HOURLY_DATA,
            mn=MN,
            pw="123456",
            data_time=datetime(2026, 10, 1, 10, tzinfo=BEIJING_TIME),
            values={"w01001": {"Avg": "0." + "0" * 400 + "1"}},
        )
    )
    with running(ingest_settings()) as service:
        bad_then_good(service, db, url, [(WATER, underflow), (FRAME, frame)], {"not_representable"}, day=10)
    assert reject_reasons(db) == ["not_representable"] * 3


def test_stopper_2_year_1(ingest_settings: SettingsFactory, db: Engine, url: str) -> None:
    year_1 = json.dumps(reading_set(datetime(1, 1, 1, tzinfo=BEIJING_TIME), {"ph": 7.1})).encode()
    with running(ingest_settings()) as service:
        bad_then_good(service, db, url, [(WATER, year_1)], {"time_too_early"}, day=11)
    assert reject_reasons(db) == ["time_too_early"]


def test_readings_dated_1900_are_refused_json_and_hj212(ingest_settings: SettingsFactory, db: Engine, url: str) -> None:
    moment = datetime(1900, 1, 1, 8, tzinfo=BEIJING_TIME)
    frame = hj212.build(
        hj212.data_frame(
            st=21, cn=hj212.Command.HOURLY_DATA, mn=MN, pw="123456", data_time=moment, values={"w01001": {"Avg": "7"}}
        )
    )
    with running(ingest_settings()) as service:
        bad_then_good(
            service,
            db,
            url,
            [(WATER, json.dumps(reading_set(moment, {"ph": 7.1})).encode()), (FRAME, frame)],
            {"time_too_early"},
            day=12,
        )
    assert reject_reasons(db) == ["time_too_early"] * 2
    with db.connect() as connection:  # nothing queued a recompute of 1900
        assert connection.execute(text("select count(*) from recompute_queue where day < '2000-01-01'")).scalar() == 0


def test_stopper_3_a_batch_nested_950_levels(ingest_settings: SettingsFactory, db: Engine, url: str) -> None:
    nested = b'{"readings": ' + b"[" * 950 + b'{"time": "2026-10-01T09:00:00+08:00"}' + b"]" * 950 + b"}"
    with running(ingest_settings()) as service:
        bad_then_good(service, db, url, [(WATER, nested)], {"too_deep"}, day=13)
    assert reject_reasons(db) == ["too_deep"]


def test_stopper_4_replies_stay_far_below_the_broker_packet_limit(
    ingest_settings: SettingsFactory, db: Engine, url: str
) -> None:
    # A gateway backfilling a sensor that reports -1 for "no data": 10,000 sets, all out of range (≈ 1.2 MB).
    backfill = json.dumps(
        {"readings": [reading_set(START + timedelta(minutes=i), {"ph": -1}) for i in range(10_000)]}
    ).encode()
    array_as_number = json.dumps(reading_set(START, {"ph": list(range(80_000))})).encode()  # ≈ 500 KB
    listener, replies = collector(url, topics.rejects_topic(STATION))
    with running(ingest_settings()) as service:
        bad_then_good(
            service, db, url, [(WATER, backfill), (WATER, array_as_number)], {"out_of_range", "not_numeric"}, day=14
        )
        wait_for(lambda: len(replies) == 2, "both rejects replies")
    listener.disconnect()
    sizes = [len(reply.payload) for reply in replies]
    assert max(sizes) < BROKER_MAX_PACKET_BYTES // 100, sizes
    first = json.loads(replies[0].payload)
    assert (first["stored"], first["rejected"], first["reasons"]) == (0, 10_000, {"out_of_range": 10_000})
    assert len(first["rejects"]) == 20 and first["rejects"][0]["index"] == 0
    rows = [(reason, occurrences) for reason, _, _, occurrences in reject_rows(db)]
    # 50 rows one by one, the other 9,950 rejects in one row that keeps their count; then the array
    assert rows == [("out_of_range", 1)] * 50 + [("out_of_range", 9_950), ("not_numeric", 1)]
    assert len(reject_rows(db)[-1][1]) < 400  # the detail names the array without repeating it


def test_a_value_the_database_refuses_is_bisected_out_of_its_batch(
    ingest_settings: SettingsFactory, db: Engine, url: str
) -> None:
    """A refusal the decoder cannot foresee (here a CHECK constraint added for the test): the good
    messages of the batch are stored, the culprit is rejected with the database's reason."""
    with db.begin() as connection:
        connection.execute(text("alter table readings add constraint test_refuses_6_66 check (value <> 6.66)"))
    try:
        messages = list(water_messages(200, start=START + timedelta(days=15)))
        culprit = json.dumps(reading_set(START + timedelta(days=16), {"ph": 6.66})).encode()
        with running(ingest_settings(ingest_batch_rows=10_000, ingest_flush_interval="PT1S")) as service:
            publish_all(url, [*messages[:100], (WATER, culprit), *messages[100:]])  # one batch of 201 messages
            wait_for(lambda: metric(service, "envmon_ingest_messages_acked_total") >= 201, "every message acked")
            assert service.health().ready
            assert metric(service, "envmon_ingest_commit_failures_total") == 0  # never retried as transient
    finally:
        with db.begin() as connection:
            connection.execute(text("alter table readings drop constraint test_refuses_6_66"))
    assert reading_count(db) == 200 * len(WATER_VALUES)
    [(reason, detail, payload, _)] = reject_rows(db)
    assert (reason, payload) == ("database_refused", culprit)
    assert "SQLSTATE 23514" in detail and "test_refuses_6_66" in detail


def _suspects(db: Engine) -> list[tuple[int, str]]:
    with db.connect() as connection:
        rows = connection.execute(select(ingest_suspects.c.crashes, ingest_suspects.c.last_error))
        return [(crashes, error) for crashes, error in rows]


def _marked(marker: bytes) -> bytes:
    return json.dumps({"time": "2026-10-01T09:00:00+08:00", "values": {"ph": 7}, "note": marker.decode()}).encode()


def test_crash_loop_a_message_that_kills_the_worker_is_quarantined_after_k_tries(
    ingest_settings: SettingsFactory, db: Engine, url: str
) -> None:
    killer = _marked(KILL_WORKER)
    before = list(water_messages(100, start=START + timedelta(days=20)))
    after = list(water_messages(100, start=START + timedelta(days=21)))
    settings = ingest_settings(ingest_poison_crashes=3)
    with running(settings, serve_with_faults) as service:
        publish_all(url, [*before, (WATER, killer), *after])
        wait_for(lambda: "poison" in reject_reasons(db), "the killer quarantined")
        wait_for(lambda: reading_count(db) == 200 * len(WATER_VALUES), "everything else stored")
        assert metric(service, "envmon_ingest_worker_restarts_total", {"cause": "died"}) == 3
        assert metric(service, "envmon_ingest_poison_messages_total") == 1
        wait_for(lambda: service.health().ready, "ready again")
        # ingest goes on, and another copy of the killer is quarantined without a fourth crash
        publish_all(url, [*water_messages(50, start=START + timedelta(days=22)), (WATER, killer)])
        wait_for(lambda: reading_count(db) == 250 * len(WATER_VALUES), "later messages stored")
        wait_for(lambda: reject_reasons(db).count("poison") == 2, "the copy quarantined")
        assert metric(service, "envmon_ingest_worker_restarts_total", {"cause": "died"}) == 3
    [(reason, detail, payload, _), _copy] = reject_rows(db)
    assert (reason, payload) == ("poison", killer)
    assert "3 times" in detail and "SIGKILL" in detail
    assert [crashes for crashes, _ in _suspects(db)] == [3]  # kept, so later copies are caught at once


def test_a_stalled_worker_is_killed_and_the_staller_quarantined(
    ingest_settings: SettingsFactory, db: Engine, url: str
) -> None:
    staller = _marked(STALL_WORKER)
    good = list(water_messages(100, start=START + timedelta(days=23)))
    with running(ingest_settings(ingest_stall_timeout="PT2S"), serve_with_faults) as service:
        publish_all(url, [(WATER, staller), *good])
        wait_for(lambda: "poison" in reject_reasons(db), "the staller quarantined")
        wait_for(lambda: reading_count(db) == 100 * len(WATER_VALUES), "everything else stored")
        assert metric(service, "envmon_ingest_worker_restarts_total", {"cause": "stalled"}) == 3
    [(reason, detail, _, _)] = reject_rows(db)
    assert reason == "poison" and "no progress for 2 s while decoding" in detail


def test_crashes_are_counted_across_replica_restarts(ingest_settings: SettingsFactory, db: Engine, url: str) -> None:
    killer = _marked(KILL_WORKER)
    settings = ingest_settings(ingest_poison_crashes=3)
    with running(settings, serve_with_faults) as first:
        publish_all(url, [(WATER, killer)])
        # two deaths; the replica then waits a moment before its next worker, and goes away meanwhile
        wait_for(lambda: metric(first, "envmon_ingest_worker_restarts_total", {"cause": "died"}) == 2, "two crashes")
        first.pipeline.abandon()
    assert [crashes for crashes, _ in _suspects(db)] == [2]
    assert reject_reasons(db) == []
    with running(settings, serve_with_faults) as second:  # same session: the broker redelivers the killer
        wait_for(lambda: reject_reasons(db) == ["poison"], "quarantined after the third crash in all")
        assert metric(second, "envmon_ingest_worker_restarts_total", {"cause": "died"}) == 1


def ph_and_do(db: Engine, moment: datetime) -> list[tuple[str, float]]:
    with db.connect() as connection:
        query = text("select parameter, value from readings where time = :t order by parameter")
        return [(parameter, value) for parameter, value in connection.execute(query, {"t": moment})]


def test_a_conflicting_duplicate_is_rejected_and_the_stored_value_kept(
    ingest_settings: SettingsFactory, db: Engine, url: str
) -> None:
    moment = datetime(2026, 10, 20, 9, tzinfo=BEIJING_TIME)
    original = json.dumps(reading_set(moment, {"ph": 7.1, "do": 8.0})).encode()
    same = json.dumps(reading_set(moment, {"ph": 7.10, "do": 8})).encode()  # a resend: a plain duplicate
    conflicting = json.dumps(reading_set(moment, {"ph": 7.3, "do": 8.0})).encode()
    listener, replies = collector(url, topics.rejects_topic(STATION))
    with running(ingest_settings()) as service:
        publish_all(url, [(WATER, original)])
        wait_for(lambda: reading_count(db) == 2, "the original readings")
        bad_then_good(
            service, db, url, [(WATER, same), (WATER, conflicting)], {"conflicting_duplicate"}, day=25, stored_before=2
        )
        wait_for(lambda: len(replies) == 1, "the rejects reply")
        assert metric(service, "envmon_ingest_readings_duplicate_total") == 3  # do twice, ph once
    listener.disconnect()
    assert ph_and_do(db, moment) == [("do", 8.0), ("ph", 7.1)]
    [(reason, detail, payload, _)] = reject_rows(db)
    assert reason == "conflicting_duplicate" and payload == conflicting
    assert "ph" in detail and "7.3" in detail and "7.1" in detail and '"correction"' in detail
    reply = json.loads(replies[0].payload)
    assert (reply["stored"], reply["reasons"]) == (1, {"conflicting_duplicate": 1})
    assert reply["rejects"][0]["parameter"] == "ph"


def test_a_correction_replaces_the_stored_value_audited_and_queues_its_day(
    ingest_settings: SettingsFactory, db: Engine, url: str
) -> None:
    moment = datetime(2026, 10, 21, 9, tzinfo=BEIJING_TIME)
    original = json.dumps(reading_set(moment, {"ph": 7.1, "do": 8.0})).encode()
    correction = {**reading_set(moment, {"ph": 7.3, "do": 8.0}), "correction": "pH probe recalibrated, re-read"}
    no_reason = {**reading_set(moment, {"ph": 9.9}), "correction": ""}
    with db.begin() as connection:
        connection.execute(text("truncate reading_corrections"))
    with running(ingest_settings()) as service:
        publish_all(url, [(WATER, original)])
        wait_for(lambda: reading_count(db) == 2, "the original readings")
        with db.begin() as connection:
            connection.execute(text("truncate recompute_queue"))
        corrections = [(WATER, json.dumps(correction).encode()), (WATER, json.dumps(no_reason).encode())]
        bad_then_good(service, db, url, corrections, {"bad_correction"}, day=26, stored_before=2)
        assert metric(service, "envmon_ingest_readings_corrected_total") == 1
    assert ph_and_do(db, moment) == [("do", 8.0), ("ph", 7.3)]  # do was equal: unchanged, not audited
    assert reject_reasons(db) == ["bad_correction"]
    with db.connect() as connection:
        audit = connection.execute(
            text("select parameter, old_value, new_value, reason, topic from reading_corrections")
        ).all()
        queued = connection.execute(text("select day from recompute_queue where station = :s"), {"s": STATION})
        assert moment.date() in {row.day for row in queued}  # its day's figures changed
    assert [tuple(row) for row in audit] == [("ph", 7.1, 7.3, "pH probe recalibrated, re-read", WATER)]
