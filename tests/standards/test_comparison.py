"""Paired comparison of two sources at a boundary section: means, difference, relative deviation, verdict."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.standards.comparison import (
    DEFAULT_TOLERANCES,
    HJ915_2017,
    Reference,
    Tolerance,
    ToleranceTable,
    compare,
)

D = Decimal


def _pairs(*values: tuple[str, str]) -> list[tuple[Decimal, Decimal]]:
    return [(D(a), D(b)) for a, b in values]


# indicator, pairs (first, second), reference, mean of each, difference, relative deviation, agrees
ROWS = [
    # NH3-N, automatic against the laboratory: 0.60 vs 0.50 → +0.10 = +20 % of the laboratory value: agrees (≤)
    ("nh3n", [("0.60", "0.50")], Reference.SECOND, "0.6", "0.5", "0.1", Fraction(1, 5), True),
    # just over 20 %
    ("nh3n", [("0.6001", "0.50")], Reference.SECOND, "0.6001", "0.5", "0.1001", Fraction(1001, 5000), False),
    # below 0.2 mg/L the absolute limit (0.04) applies: 0.14 vs 0.10 agrees although it is 40 %
    ("nh3n", [("0.14", "0.10")], Reference.SECOND, "0.14", "0.1", "0.04", Fraction(2, 5), True),
    ("nh3n", [("0.15", "0.10")], Reference.SECOND, "0.15", "0.1", "0.05", Fraction(1, 2), False),
    # two automatic stations: deviation against the mean of both; means over the paired days only
    ("tp", [("0.20", "0.10"), ("0.10", "0.10")], Reference.MEAN, "0.15", "0.1", "0.05", Fraction(2, 5), False),
    ("tp", [("0.11", "0.10"), ("0.10", "0.09")], Reference.MEAN, "0.105", "0.095", "0.01", Fraction(1, 10), True),
    # pH: an absolute limit, whatever the level
    ("ph", [("7.9", "7.4")], Reference.MEAN, "7.9", "7.4", "0.5", Fraction(10, 153), True),
    ("ph", [("7.91", "7.4")], Reference.MEAN, "7.91", "7.4", "0.51", Fraction(102, 1531), False),
    # DO: the first source is the laboratory; a negative difference counts by its size
    ("do", [("6.0", "6.6")], Reference.FIRST, "6", "6.6", "-0.6", Fraction(-1, 10), False),
    # both zero: no relative deviation, and they agree
    ("codmn", [("0", "0")], Reference.MEAN, "0", "0", "0", None, True),
]


@pytest.mark.parametrize(
    ("indicator", "values", "reference", "first", "second", "difference", "relative", "agrees"), ROWS
)
def test_paired_comparison(
    indicator: str,
    values: list[tuple[str, str]],
    reference: Reference,
    first: str,
    second: str,
    difference: str,
    relative: Fraction | None,
    agrees: bool,
) -> None:
    result = compare(_pairs(*values), DEFAULT_TOLERANCES.of(indicator), reference)
    assert result.pairs == len(values)
    assert (result.first_mean, result.second_mean, result.difference) == (
        Fraction(D(first)),
        Fraction(D(second)),
        Fraction(D(difference)),
    )
    assert result.relative_deviation == relative
    assert result.agrees is agrees


def test_an_indicator_without_a_tolerance_is_compared_without_a_verdict() -> None:
    result = compare(_pairs(("0.05", "0.01")), DEFAULT_TOLERANCES.of("cu"), Reference.MEAN)
    assert (result.difference, result.allowed, result.agrees) == (Fraction(1, 25), None, None)


@pytest.mark.parametrize(
    ("indicator", "shown"),
    [("ph", "±0.5"), ("conductivity", "±10 %"), ("nh3n", "±0.04 (< 0.2) 或 ±20 %"), ("codmn", "±0.4 (< 2) 或 ±20 %")],
)
def test_tolerances_read_as_a_duty_officer_reads_them(indicator: str, shown: str) -> None:
    assert HJ915_2017[indicator].describe() == shown


def test_every_default_tolerance_is_marked_unverified() -> None:
    assert all(not t.verified and "[?]" in t.basis for t in HJ915_2017.values())


def test_a_deployment_replaces_a_tolerance_and_adds_one() -> None:
    table = ToleranceTable().with_overrides({"nh3n": {"relative": "0.15"}, "cu": {"absolute": 0.01}})
    assert table.of("nh3n") == Tolerance(D("0.15"), None, None, table.of("nh3n").basis, verified=False)  # type: ignore[union-attr]
    assert compare(_pairs(("0.58", "0.50")), table.of("nh3n"), Reference.SECOND).agrees is False
    assert compare(_pairs(("0.02", "0.01")), table.of("cu"), Reference.MEAN).agrees is True
    assert DEFAULT_TOLERANCES.of("nh3n") == HJ915_2017["nh3n"]  # the defaults are untouched


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"nh3n": {"relativ": "0.2"}}, "tolerance of 'nh3n': unknown keys"),
        ({"nh3n": {}}, "tolerance of 'nh3n': a tolerance needs a relative or an absolute limit"),
        ({"nh3n": {"relative": "-0.1"}}, "tolerance of 'nh3n': tolerance relative must be a number from 0"),
        ({"nh3n": {"relative": "NaN"}}, "tolerance of 'nh3n': not a finite number"),
        ({"nh3n": {"relative": "1e400"}}, "tolerance of 'nh3n': tolerance relative must be a number from 0"),
        ({"nh3n": {"relative": "0.2", "absolute": "0.1"}}, "needs absolute_below"),
        ({"ph": {"absolute": "0.5", "absolute_below": "1"}}, "absolute_below only applies"),
        ({"ph": {"absolute": "zero"}}, "tolerance of 'ph': not a number"),
    ],
)
def test_bad_overrides_are_refused_naming_the_indicator(overrides: dict[str, dict[str, object]], message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        ToleranceTable().with_overrides(overrides)


def test_no_pairs_or_a_non_finite_value_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one pair"):
        compare([], HJ915_2017["ph"], Reference.MEAN)
    with pytest.raises(ValueError, match="cannot compare"):
        compare([(D("NaN"), D("1"))], HJ915_2017["ph"], Reference.MEAN)


values = st.decimals(min_value=0, max_value=10**6, places=6, allow_nan=False, allow_infinity=False)


@given(st.lists(st.tuples(values, values), min_size=1, max_size=40))
def test_swapping_the_sources_mirrors_the_comparison(pairs: list[tuple[Decimal, Decimal]]) -> None:
    forward = compare(pairs, HJ915_2017["tp"], Reference.MEAN)
    backward = compare([(b, a) for a, b in pairs], HJ915_2017["tp"], Reference.MEAN)
    assert backward.difference == -forward.difference
    assert backward.agrees is forward.agrees
    assert forward.first_mean - forward.second_mean == forward.difference
