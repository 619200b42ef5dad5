"""Reporting precision: the table pinned against the published precisions, and GB/T 8170 rounding."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.standards import reporting
from services.standards.parameters import PARAMETERS, Kind
from services.standards.reporting import DEFAULT_TABLE, MONEY, PERCENT, Precision, Rounding, round_exact

# The published precision (GB/T 8170 rounding; HJ 633—2026 §5 for air concentrations), with its verification status:
# (parameter, decimal places, verified against a method text).
PUBLISHED = [
    ("so2", 0, True),
    ("no2", 0, True),
    ("o3", 0, True),
    ("pm10", 0, True),
    ("pm25", 0, True),
    ("co", 1, True),
    ("ph", 2, False),
    ("do", 1, False),
    ("codmn", 1, False),
    ("bod5", 1, False),
    ("cod", 0, False),
    ("nh3n", 2, False),
    ("tn", 2, False),
    ("tp", 2, False),
    ("flow", 2, False),
]


@pytest.mark.parametrize(("parameter", "places", "verified"), PUBLISHED)
def test_concentration_precision_matches_the_published_table(parameter: str, places: int, verified: bool) -> None:
    precision = DEFAULT_TABLE.of_concentration(parameter)
    assert (precision.places, precision.verified) == (places, verified)


def test_lake_tp_has_one_more_digit_and_others_fall_back_to_rivers() -> None:
    assert DEFAULT_TABLE.of_concentration("tp", lake=True).places == 3
    assert DEFAULT_TABLE.of_concentration("nh3n", lake=True).places == 2


def test_shares_tonnage_and_money() -> None:
    assert (PERCENT.places, reporting.TONNAGE.places) == (1, 1)
    assert (MONEY.places, MONEY.rounding, MONEY.verified) == (2, Rounding.HALF_UP, True)


def test_every_water_and_air_parameter_has_a_precision() -> None:
    for parameter in PARAMETERS.values():
        if parameter.kind is not Kind.WASTE:
            assert DEFAULT_TABLE.of_concentration(parameter.code).places >= 0


@pytest.mark.parametrize(
    ("value", "places", "expected"),
    [
        # GB/T 8170-2008 examples: 四舍六入五成双, and a 5 followed by non-zero digits rounds up
        ("12.1498", 1, "12.1"),
        ("10.2502", 1, "10.3"),
        ("1.0500", 1, "1.0"),
        ("0.3500", 1, "0.4"),
        ("2.5", 0, "2"),
        ("3.5", 0, "4"),
        ("-2.5", 0, "-2"),
        ("0.05", 1, "0.0"),
        ("0E-24", 1, "0.0"),
        ("1E+3", 0, "1000"),
        ("8.664222222222222223333333333", 1, "8.7"),
        ("0.82000381363541275198", 3, "0.820"),
    ],
)
def test_gb_t_8170_rounding(value: str, places: int, expected: str) -> None:
    result = round_exact(Decimal(value), Precision(places, "test", verified=True))
    assert str(result) == expected


@pytest.mark.parametrize(
    ("yuan", "expected"),
    [("0.005", "0.01"), ("0.015", "0.02"), ("-0.005", "-0.01"), ("1234.5649", "1234.56"), ("5000000", "5000000.00")],
)
def test_money_rounds_half_up_away_from_zero(yuan: str, expected: str) -> None:
    assert str(reporting.money(Decimal(yuan))) == expected


def test_a_share_is_published_as_a_percentage_to_one_tenth() -> None:
    assert str(DEFAULT_TABLE.percent_value(Fraction(86, 91))) == "94.5"
    assert str(DEFAULT_TABLE.percent_value(Fraction(1))) == "100.0"
    assert str(DEFAULT_TABLE.percent_value(Decimal("0E-24"))) == "0.0"
    # 2/3 = 66.666…% rounds to 66.7 from the exact fraction, not from a truncated decimal
    assert str(DEFAULT_TABLE.percent_value(Fraction(2, 3))) == "66.7"


def test_fractions_round_exactly_without_double_rounding() -> None:
    # 0.04999…(40 nines)5 would round to 0.1 if first rounded to 40 digits, then to one place
    value = Fraction(5, 100) - Fraction(1, 10**41)
    assert str(round_exact(value, Precision(1, "test", verified=True))) == "0.0"


def test_index_rounds_up() -> None:
    assert reporting.index(Fraction(1009, 10)) == 101
    assert reporting.index(Decimal(55)) == 55


def test_overrides_change_only_unverified_entries() -> None:
    table = DEFAULT_TABLE.with_overrides({"nh3n": 3, "lake:tp": 4, "percent": 2})
    assert table.concentration_value("nh3n", Decimal("0.0815")) == Decimal("0.082")
    assert table.of_concentration("tp", lake=True).places == 4
    assert str(table.percent_value(Fraction(1, 3))) == "33.33"
    assert "overridden" in table.of_concentration("nh3n").basis
    assert DEFAULT_TABLE.of_concentration("nh3n").places == 2  # the defaults are untouched


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"pm25": 1}, "fixed by HJ 633"),
        ({"unknown": 1}, "no reporting precision named"),
        ({"nh3n": -1}, "integer 0–12"),
        ({"nh3n": 13}, "integer 0–12"),
        ({"nh3n": True}, "integer 0–12"),
    ],
)
def test_bad_overrides_are_refused_by_name(overrides: dict[str, int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        DEFAULT_TABLE.with_overrides(overrides)


def test_unknown_parameter_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="no reporting precision for parameter 'xyz'"):
        DEFAULT_TABLE.concentration_value("xyz", Decimal(1))


@pytest.mark.parametrize("value", [Decimal("NaN"), Decimal("Infinity"), Decimal("-Infinity")])
def test_non_finite_values_cannot_be_published(value: Decimal) -> None:
    with pytest.raises(ValueError, match="cannot publish"):
        round_exact(value, PERCENT)


finite_decimals = st.decimals(allow_nan=False, allow_infinity=False, min_value=-(10**12), max_value=10**12)


@given(finite_decimals, st.integers(min_value=0, max_value=6))
def test_rounding_equals_decimal_quantize_of_the_exact_value(value: Decimal, places: int) -> None:
    step = Decimal(1).scaleb(-places)
    half_even = round_exact(value, Precision(places, "p", verified=True))
    half_up = round_exact(value, Precision(places, "p", verified=True, rounding=Rounding.HALF_UP))
    assert half_even == value.quantize(step, rounding=ROUND_HALF_EVEN)
    assert half_up == value.quantize(step, rounding=ROUND_HALF_UP)
    assert half_even.as_tuple().exponent == -places
    assert "E" not in reporting.plain(half_even)


@given(
    st.decimals(allow_nan=False, allow_infinity=False, min_value=-(10**30), max_value=10**30),
    st.integers(min_value=0, max_value=6),
    st.sampled_from(list(Rounding)),
)
def test_a_decimal_rounds_as_its_exact_fraction_does(value: Decimal, places: int, rounding: Rounding) -> None:
    precision = Precision(places, "p", verified=True, rounding=rounding)
    rounded = round_exact(value, precision)
    assert rounded == round_exact(Fraction(value), precision)
    assert rounded.as_tuple().exponent == -places
    assert not (rounded.is_zero() and rounded.is_signed())  # never "-0"
