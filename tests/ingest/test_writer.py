"""The writer queues late readings by the Beijing-time day they fall on."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from services.ingest.writer import late_days

RECEIVED = datetime(2026, 11, 3, tzinfo=UTC)
LATE_AFTER = timedelta(hours=2)


def test_a_late_reading_day_turns_at_1600_utc() -> None:
    stored = [
        ("PYJ-JINHUA", datetime(2026, 11, 1, 15, 59, 59, tzinfo=UTC), RECEIVED, 3),
        ("PYJ-JINHUA", datetime(2026, 11, 1, 16, 0, tzinfo=UTC), RECEIVED, 5),
    ]
    assert late_days(stored, LATE_AFTER) == {("PYJ-JINHUA", date(2026, 11, 1)): 3, ("PYJ-JINHUA", date(2026, 11, 2)): 5}


def test_a_reading_within_late_after_is_not_late() -> None:
    assert late_days([("PYJ-JINHUA", RECEIVED - LATE_AFTER, RECEIVED, 1)], LATE_AFTER) == {}
