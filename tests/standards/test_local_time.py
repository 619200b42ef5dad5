"""Beijing time is a fixed UTC+08:00, with no historical zone rules."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.standards.local_time import BEIJING_TIME, day_start, local, local_date


@pytest.mark.parametrize(
    ("utc", "expected"),
    [
        (datetime(2026, 3, 1, 15, 59, 59, tzinfo=UTC), date(2026, 3, 1)),
        (datetime(2026, 3, 1, 16, 0, tzinfo=UTC), date(2026, 3, 2)),
        (datetime(1, 1, 1, 0, 0, tzinfo=UTC), date(1, 1, 1)),
        (datetime(9999, 12, 31, 15, 59, tzinfo=UTC), date(9999, 12, 31)),
    ],
)
def test_local_date_turns_at_16_utc(utc: datetime, expected: date) -> None:
    assert local_date(utc) == expected


def test_the_offset_is_fixed_where_asia_shanghai_is_not() -> None:
    # 1900: Asia/Shanghai is local mean time +08:05:43; 1988: summer time +09:00
    for moment in (datetime(1900, 6, 1, tzinfo=UTC), datetime(1988, 7, 1, tzinfo=UTC)):
        assert local(moment).utcoffset() == timedelta(hours=8)
        assert moment.astimezone(ZoneInfo("Asia/Shanghai")).utcoffset() != timedelta(hours=8)


def test_day_start_is_midnight_beijing_time() -> None:
    assert day_start(date(2026, 11, 1)) == datetime(2026, 10, 31, 16, 0, tzinfo=UTC)
    assert day_start(date(2026, 11, 1)).tzinfo is BEIJING_TIME


def test_a_naive_datetime_is_refused() -> None:
    with pytest.raises(ValueError, match="naive datetime"):
        local(datetime(2026, 1, 1))
