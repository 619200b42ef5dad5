"""The periods rules evaluate and how alerts name them (Beijing time)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from services.alerts.rules.windows import PeriodKind, RulePeriod, evaluated, label, time_range
from services.standards.local_time import BEIJING_TIME

# 00:30 on 1 January 2027 in Beijing is still 31 December 2026 in UTC.
NEW_YEAR = datetime(2026, 12, 31, 16, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("kind", "today", "keys"),
    [
        (PeriodKind.YEAR, date(2026, 12, 3), ["2026"]),
        (PeriodKind.MONTH, date(2026, 12, 3), ["2026-12", "2026-11"]),
        (PeriodKind.MONTH, date(2027, 1, 1), ["2027-01", "2026-12"]),
        (PeriodKind.MONTH, date(2026, 3, 31), ["2026-03", "2026-02"]),
        (PeriodKind.DAY, date(2026, 3, 1), ["2026-02-28"]),
        (PeriodKind.CURRENT, date(2026, 3, 1), ["current"]),
    ],
)
def test_evaluated_periods(kind: PeriodKind, today: date, keys: list[str]) -> None:
    assert [p.key for p in evaluated(kind, today)] == keys


def test_months_span_their_days() -> None:
    this, last = evaluated(PeriodKind.MONTH, date(2028, 3, 5))
    assert (this.first_day, this.last_day) == (date(2028, 3, 1), date(2028, 3, 31))
    assert (last.first_day, last.last_day) == (date(2028, 2, 1), date(2028, 2, 29))


def test_labels_say_how_far_a_running_period_goes() -> None:
    now = datetime(2026, 12, 3, 11, 40, tzinfo=UTC)  # 19:40 Beijing time
    year, month = evaluated(PeriodKind.YEAR, date(2026, 12, 3))[0], evaluated(PeriodKind.MONTH, date(2026, 12, 3))
    assert label(year, now, date(2026, 12, 2)) == "2026年(1月1日—12月2日)"
    assert label(month[0], now, date(2026, 12, 3)) == "2026年12月(1—3日)"
    assert label(month[1], now, date(2026, 11, 30)) == "2026年11月"
    assert label(evaluated(PeriodKind.DAY, date(2026, 12, 3))[0], now) == "2026年12月2日"
    assert label(RulePeriod(PeriodKind.CURRENT, "current"), now) == "截至 2026-12-03 19:40"


def test_the_year_turns_at_beijing_midnight() -> None:
    today = NEW_YEAR.astimezone(BEIJING_TIME).date()
    assert [p.key for p in evaluated(PeriodKind.YEAR, today)] == ["2027"]
    assert label(evaluated(PeriodKind.YEAR, date(2026, 12, 31))[0], NEW_YEAR, date(2026, 12, 31)) == "2026年"


def test_time_ranges_end_now_for_running_periods() -> None:
    month = evaluated(PeriodKind.MONTH, date(2026, 12, 3))
    now = datetime(2026, 12, 3, 11, 40, tzinfo=UTC)
    assert time_range(month[0], now) == (datetime(2026, 12, 1, tzinfo=BEIJING_TIME), now)
    assert time_range(month[1], now) == (
        datetime(2026, 11, 1, tzinfo=BEIJING_TIME),
        datetime(2026, 12, 1, tzinfo=BEIJING_TIME),
    )
