"""Query options: what is parsed, and every bad option refused with its reason (never anything else)."""

from __future__ import annotations

import contextlib
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.sensorthings.query import (
    MAX_FILTER_DEPTH,
    MAX_FILTER_LENGTH,
    QueryError,
    parse_filter,
    parse_options,
)

MAX_TOP = 1000


def test_the_served_options_are_parsed() -> None:
    options = parse_options(
        [
            ("$filter", "phenomenonTime ge 2026-11-01T00:00:00+08:00 and result lt 1.5"),
            ("$orderby", "phenomenonTime desc, result"),
            ("$top", "10"),
            ("$skip", "20"),
            ("$count", "true"),
            ("$expand", "Datastream"),
            ("$select", "id,result"),
            ("other", "ignored"),
        ],
        MAX_TOP,
    )
    assert options.orderby == (("phenomenonTime", True), ("result", False))
    assert (options.top, options.skip, options.count) == (10, 20, True)
    assert options.expand == ("Datastream",) and options.select == ("id", "result")
    assert options.filter is not None


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ([("$top", "1001")], "$top must be a whole number from 0 to 1000"),
        ([("$top", "-1")], "$top must be a whole number"),
        ([("$top", "١٠")], "$top must be a whole number"),  # non-ASCII digits
        ([("$skip", "99999999999")], "$skip must be a whole number"),
        ([("$count", "yes")], "$count must be true or false"),
        ([("$top", "1"), ("$top", "2")], "$top is given more than once"),
        ([("$resultFormat", "dataArray")], "$resultFormat (dataArray) is not served"),
        ([("$format", "json")], "unknown query option '$format'"),
        ([("$orderby", "result sideways")], "is not 'property [asc|desc]'"),
        ([("$orderby", "result,")], "$orderby has an empty entry"),
        ([("$expand", "Datastream/Thing")], "nested options and paths are not served"),
        ([("$expand", "Observations($top=1)")], "nested options and paths are not served"),
        ([("$select", "na\x00me")], "is not a property name"),
        ([("$filter", "")], "$filter is empty"),
        ([("$filter", "result gt")], "$filter is not a valid expression"),
        ([("$filter", "x" * (MAX_FILTER_LENGTH + 1))], f"longer than {MAX_FILTER_LENGTH} characters"),
    ],
)
def test_a_bad_option_is_refused_with_its_reason(params: list[tuple[str, str]], message: str) -> None:
    with pytest.raises(QueryError, match=re.escape(message)):
        parse_options(params, MAX_TOP)


def test_filters_nested_just_within_the_limit_parse_and_one_deeper_are_refused() -> None:
    def nested(depth: int) -> str:
        expression = "result gt 1"  # depth 2: the comparison, then its property and literal
        for _ in range(depth - 2):
            expression = f"not ({expression})"
        return expression

    assert parse_filter(nested(MAX_FILTER_DEPTH)) is not None
    with pytest.raises(QueryError, match=f"deeper than {MAX_FILTER_DEPTH}"):
        parse_filter(nested(MAX_FILTER_DEPTH + 1))

    def balanced(leaves: int) -> str:  # a shallow tree of many comparisons
        return "result gt 1" if leaves == 1 else f"({balanced(leaves // 2)}) or ({balanced(leaves - leaves // 2)})"

    assert parse_filter(balanced(50)) is not None  # 50 × 3 + 49 = 199 nodes
    with pytest.raises(QueryError, match="more than 200 terms"):
        parse_filter(balanced(70))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_any_filter_text_parses_or_is_refused_with_a_query_error(text: str) -> None:
    with contextlib.suppress(QueryError):
        parse_filter(text)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(["result", "phenomenonTime", "(", ")", " and ", " or ", "not ", " eq ", " gt ", "1", "'a'"]),
        max_size=60,
    )
)
def test_filter_shaped_token_soup_parses_or_is_refused_with_a_query_error(tokens: list[str]) -> None:
    with contextlib.suppress(QueryError):
        parse_filter("".join(tokens))
