"""Exact number conversion and the two roundings the standards use."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from services.standards.numbers import ceil_to_int, fraction_to_decimal, round_half_even, to_decimal


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (2.2, Decimal("2.2")),
        ("0.412", Decimal("0.412")),
        (" 7 ", Decimal(7)),
        (3, Decimal(3)),
        (Decimal("1.50"), Decimal("1.50")),
        (0.1 + 0.2, Decimal("0.30000000000000004")),
    ],
)
def test_to_decimal_is_exact_and_floats_go_through_repr(raw: Decimal | str | int | float, expected: Decimal) -> None:
    assert to_decimal(raw) == expected


@pytest.mark.parametrize("raw", [True, None, "abc", "NaN", "inf", float("nan"), float("-inf"), [1]])
def test_to_decimal_refuses_what_is_not_a_finite_number(raw: object) -> None:
    with pytest.raises(ValueError, match="not a"):
        to_decimal(raw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "places", "expected"),
    [("2.25", 1, "2.2"), ("2.35", 1, "2.4"), ("60.5", 0, "60"), ("61.5", 0, "62"), ("0.00015", 4, "0.0002")],
)
def test_round_half_even_follows_gb_t_8170(value: str, places: int, expected: str) -> None:
    assert round_half_even(Decimal(value), places) == Decimal(expected)


@pytest.mark.parametrize(
    ("value", "expected"), [(Fraction(1009, 10), 101), (Fraction(55), 55), (Decimal("54.0001"), 55), (Decimal(0), 0)]
)
def test_ceil_to_int_rounds_up_exactly(value: Decimal | Fraction, expected: int) -> None:
    assert ceil_to_int(value) == expected


@pytest.mark.parametrize(
    ("value", "digits", "expected"),
    [
        (Fraction(9, 10), 28, "0.9"),
        (Fraction(2, 3), 5, "0.66667"),
        (Fraction(1, 8), 2, "0.12"),
        (Fraction(3, 8), 2, "0.38"),
        (Fraction(-1, 3), 3, "-0.333"),
    ],
)
def test_fraction_to_decimal_is_exact_when_it_terminates_else_half_even(
    value: Fraction, digits: int, expected: str
) -> None:
    assert fraction_to_decimal(value, significant_digits=digits) == Decimal(expected)
