"""Command exchanges, QN generation and gap finding, without a gateway process."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine, insert

from services.hj212_gateway.commands import CommandTracker, Gap, Outcome, QnClock, find_gaps
from services.standards import hj212
from services.standards.hj212 import Command, ExeRtn, Frame, QnRtn
from services.standards.local_time import BEIJING_TIME
from services.storage.schema import readings

SH = BEIJING_TIME
MN = "330681000000000000000001"


def test_qn_values_are_17_digits_and_strictly_increasing() -> None:
    clock = QnClock()
    values = [clock.next() for _ in range(2000)]
    assert all(len(qn) == 17 and qn.isdigit() for qn in values)
    assert values == sorted(set(values))


def get_time_request(qn: str) -> Frame:
    return hj212.get_time(st=21, mn=MN, pw="123456", qn=qn)


def system_time_upload(request: Frame) -> Frame:
    return Frame(
        qn=request.qn, st=21, cn=Command.GET_TIME, pw="123456", mn=MN, flag=4, extra={"SystemTime": "20261127100000"}
    )


@pytest.mark.parametrize(
    ("answers", "outcome", "qn_rtn", "exe_rtn", "records"),
    [
        (
            lambda r: [
                hj212.request_reply(r, QnRtn.READY),
                system_time_upload(r),
                hj212.execution_result(r, ExeRtn.SUCCESS),
            ],
            Outcome.DONE,
            1,
            1,
            1,
        ),
        (lambda r: [hj212.request_reply(r, QnRtn.REJECTED)], Outcome.REFUSED, 2, None, 0),
        (
            lambda r: [hj212.request_reply(r, QnRtn.READY), hj212.execution_result(r, ExeRtn.NO_DATA)],
            Outcome.DONE,
            1,
            100,
            0,
        ),
        (lambda r: [hj212.request_reply(r, QnRtn.READY)], Outcome.TIMEOUT, 1, None, 0),
    ],
)
def test_an_exchange_ends_on_9012_on_a_refusing_9011_or_at_the_timeout(
    answers: object, outcome: Outcome, qn_rtn: int | None, exe_rtn: int | None, records: int
) -> None:
    async def scenario() -> tuple[Outcome, int | None, int | None, int]:
        tracker = CommandTracker()
        request = get_time_request("20261127100000001")
        assert request.qn is not None
        done = tracker.open(request.qn, MN, request.cn)
        for frame in answers(request):  # type: ignore[operator]
            assert tracker.observe(frame)
        finished = await asyncio.wait({done}, timeout=0.05)
        result = tracker.close(request.qn, None if finished[0] else Outcome.TIMEOUT)
        return result.outcome, result.qn_rtn, result.exe_rtn, result.records

    assert asyncio.run(scenario()) == (outcome, qn_rtn, exe_rtn, records)


def test_frames_of_other_exchanges_or_other_mns_are_not_taken() -> None:
    async def scenario() -> list[bool]:
        tracker = CommandTracker()
        request = get_time_request("20261127100000001")
        tracker.open("20261127100000001", MN, request.cn)
        other_qn = hj212.request_reply(get_time_request("20261127100000002"), QnRtn.READY)
        other_mn = hj212.request_reply(hj212.get_time(st=21, mn="1" * 24, pw="123456", qn=request.qn or ""), 1)
        return [tracker.observe(other_qn), tracker.observe(other_mn)]

    assert asyncio.run(scenario()) == [False, False]


@pytest.mark.integration
def test_gaps_are_runs_of_whole_hours_without_any_reading(db: Engine) -> None:
    now = datetime(2026, 11, 27, 12, 30, tzinfo=SH)
    # window: 2026-11-26 12:00 .. 2026-11-27 09:00 (now - 2 h grace, floored, minus the open hour)
    present = [
        datetime(2026, 11, 26, 12, tzinfo=SH) + timedelta(hours=n) for n in range(22) if n not in (0, 5, 6, 7, 15)
    ]
    with db.begin() as connection:
        connection.execute(
            insert(readings),
            [
                {
                    "time": hour + timedelta(minutes=10),
                    "station": "PYJ-ANHUA",
                    "parameter": "ph",
                    "value": 7.0,
                    "source": "hj212",
                }
                for hour in present
            ],
        )
        gaps = find_gaps(connection, "PYJ-ANHUA", now=now, days=1, grace=timedelta(hours=2))
    day = datetime(2026, 11, 26, tzinfo=SH)
    assert gaps == [
        Gap(day + timedelta(hours=12), day + timedelta(hours=12)),
        Gap(day + timedelta(hours=17), day + timedelta(hours=19)),
        Gap(day + timedelta(hours=27), day + timedelta(hours=27)),
    ]
