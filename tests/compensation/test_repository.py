"""The repository's SQL summaries and COPY hash equal the documented pure-Python forms, row for row."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine, insert

from services.compensation import repository
from services.compensation.agreements import Exclusion
from services.compensation.periods import Month
from services.compensation.samples import Reading, input_sha256, summarize
from services.storage.schema import readings

pytestmark = pytest.mark.integration

STATIONS = ("XXJ-YANGXUN", "PYJ-JINHUA")  # PYJ-JINHUA has no rows: its series still enters the hash
PARAMETERS = ("tp", "codmn")
WINDOW = repository.ReadingsWindow(STATIONS, PARAMETERS, (Month(2025, 1), Month(2025, 2), Month(2025, 3)))
EXCLUDED = Exclusion(start=date(2025, 3, 5), end=date(2025, 3, 6), reason="水毁", approval_document="绍环〔2025〕1号")

ROWS = [
    # (UTC time, parameter, value, flag, source): month edges fall at 16:00 UTC (midnight Beijing time)
    (datetime(2024, 12, 31, 15, 59, 59, tzinfo=UTC), "tp", 9.0, "N", "hj212"),  # 2024-12 local: outside
    (datetime(2024, 12, 31, 16, 0, tzinfo=UTC), "tp", 0.1 + 0.2, "N", "hj212"),  # 2025-01-01 00:00 local
    (datetime(2025, 1, 31, 15, 59, 59, 999999, tzinfo=UTC), "tp", 0.17, "N", "hj212"),  # last instant of January
    (datetime(2025, 1, 31, 16, 0, tzinfo=UTC), "tp", 1e-7, "N", "hj212"),  # first instant of February
    (datetime(2025, 2, 10, 2, 0, tzinfo=UTC), "tp", 0.2, "D", "hj212"),  # invalid flag: counted apart
    (datetime(2025, 2, 10, 2, 0, tzinfo=UTC), "codmn", 123456.789012345678, "N", "joint-manual"),
    (datetime(2025, 3, 4, 16, 0, tzinfo=UTC), "codmn", 4.1, "N", "manual"),  # 2025-03-05 local: excluded
    (datetime(2025, 3, 6, 15, 59, tzinfo=UTC), "codmn", 4.2, "N", "manual"),  # 2025-03-06 23:59 local: excluded
    (datetime(2025, 3, 6, 16, 0, tzinfo=UTC), "codmn", 4.3, "N", "manual"),  # 2025-03-07 local: counted
    (datetime(2025, 3, 31, 16, 0, tzinfo=UTC), "codmn", 5.0, "N", "manual"),  # 2025-04 local: outside
    (datetime(2025, 2, 1, tzinfo=UTC), "nh3n", 0.5, "N", "hj212"),  # a parameter outside the window
]
READINGS = [
    Reading("XXJ-YANGXUN", parameter, time, value, flag, source) for time, parameter, value, flag, source in ROWS
]


def test_summaries_and_hash_match_the_documented_forms(db: Engine) -> None:
    with db.begin() as conn:
        conn.execute(insert(readings), [asdict(r) for r in READINGS])
    inside = [r for r in READINGS if r.parameter in PARAMETERS and WINDOW.start <= r.time < WINDOW.end]
    read = repository.readings_input(db, WINDOW, [EXCLUDED])
    assert set(read.summaries) == set(summarize(inside, [EXCLUDED]))
    assert {(s.parameter, s.month, s.valid): s.count for s in read.summaries} == {
        ("tp", "2025-01", True): 2,
        ("tp", "2025-02", True): 1,
        ("tp", "2025-02", False): 1,
        ("codmn", "2025-02", True): 1,
        ("codmn", "2025-03", True): 1,
    }
    # the hash covers every row of the window, excluded or not, and nothing outside it
    assert read.sha256 == input_sha256(inside, STATIONS, PARAMETERS)
    assert read.sha256 != input_sha256(READINGS, STATIONS, PARAMETERS)
    assert read.sha256 == repository.readings_input(db, WINDOW, ()).sha256
