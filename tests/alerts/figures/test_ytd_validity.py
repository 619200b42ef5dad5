"""Year-to-date validity: GB 3095's annual completeness pro rata, at its thresholds and against the full-year rule."""

from __future__ import annotations

from datetime import date, timedelta
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.alerts.figures.ytd_validity import period_completeness, pro_rata
from services.standards import validity


def days(year: int, counts: dict[int, int]) -> list[date]:
    """The first ``n`` days of each month."""
    return [date(year, month, day) for month, n in counts.items() for day in range(1, n + 1)]


@pytest.mark.parametrize(
    ("as_of", "counts", "required", "short"),
    [
        # Complete months: 27 valid days (February 25) each; pro-rata annual minimum ⌈324 × 90 / 365⌉ = 80.
        (date(2026, 3, 31), {1: 31, 2: 28, 3: 27}, 80, ()),
        (date(2026, 3, 31), {1: 31, 2: 28, 3: 26}, 80, (3,)),
        (date(2026, 3, 31), {1: 31, 2: 25, 3: 31}, 80, ()),
        (date(2026, 3, 31), {1: 31, 2: 24, 3: 31}, 80, (2,)),
        (date(2026, 3, 31), {1: 28, 2: 25, 3: 27}, 80, ()),  # 80 days: just enough
        (date(2026, 3, 31), {1: 27, 2: 25, 3: 27}, 80, ()),  # every month passes, but 79 < 80 days
        (date(2024, 2, 29), {1: 31, 2: 25}, 54, ()),  # leap February still needs 25; ⌈324 × 60 / 366⌉ = 54
        (date(2024, 2, 29), {1: 31, 2: 24}, 54, (2,)),
        # The running month pro rata: 10 of April's 30 days need ⌈27 × 10 / 30⌉ = 9.
        (date(2026, 4, 10), {1: 31, 2: 28, 3: 31, 4: 9}, 89, ()),
        (date(2026, 4, 10), {1: 31, 2: 28, 3: 31, 4: 8}, 89, (4,)),
        # 14 of February's 28 days need ⌈25 × 14 / 28⌉ = ⌈12.5⌉ = 13.
        (date(2026, 2, 14), {1: 31, 2: 13}, 40, ()),
        (date(2026, 2, 14), {1: 31, 2: 12}, 40, (2,)),
        (date(2026, 1, 1), {1: 1}, 1, ()),
        (date(2026, 1, 1), {}, 1, (1,)),
    ],
)
def test_thresholds(as_of: date, counts: dict[int, int], required: int, short: tuple[int, ...]) -> None:
    result = period_completeness(days(as_of.year, counts), date(as_of.year, 1, 1), as_of)
    observed = sum(counts.values())
    assert (result.expected, result.observed) == ((as_of - date(as_of.year, 1, 1)).days + 1, observed)
    assert (result.required, result.short_months) == (required, short)
    assert result.valid is (observed >= required and not short)


def test_days_outside_the_period_do_not_count() -> None:
    result = period_completeness(
        [date(2025, 12, 31), date(2026, 1, 1), date(2026, 1, 3)], date(2026, 1, 1), date(2026, 1, 2)
    )
    assert (result.observed, result.expected, result.percent_complete) == (1, 2, Fraction(50))


@pytest.mark.parametrize(
    ("first", "last"), [(date(2026, 1, 2), date(2026, 1, 1)), (date(2025, 12, 1), date(2026, 1, 1))]
)
def test_a_period_lies_within_one_year(first: date, last: date) -> None:
    with pytest.raises(ValueError, match="within one calendar year"):
        period_completeness([], first, last)


def test_pro_rata_rounds_up_exactly() -> None:
    assert [pro_rata(27, covered, 30) for covered in (1, 10, 29, 30)] == [1, 9, 27, 27]


@given(year=st.integers(2000, 2030), missing=st.sets(st.integers(0, 365), max_size=60))
def test_a_complete_year_is_judged_exactly_as_the_annual_rule(year: int, missing: set[int]) -> None:
    first, last = date(year, 1, 1), date(year, 12, 31)
    valid_days = [d for i in range((last - first).days + 1) if i not in missing and (d := first + timedelta(days=i))]
    ours = period_completeness(valid_days, first, last)
    annual = validity.annual_completeness(valid_days, year)
    assert (ours.valid, ours.observed, ours.expected, ours.short_months) == (
        annual.valid,
        annual.count,
        annual.expected,
        annual.short_months,
    )
    assert ours.required == validity.ANNUAL_RULE.per_year
