"""Hypothesis strategies for gateway payloads: anything at all, and payloads that can hold no valid reading."""

from __future__ import annotations

import json
from typing import TypeVar

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

PAST_TIME = "2026-11-27T09:00:00+08:00"
Drawn = TypeVar("Drawn")


def as_json(document: object) -> bytes:
    return json.dumps(document).encode()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3),
    max_leaves=8,
)
# Mostly junk, but a reading set with a valid time may carry a good ph, do or tp value.
any_documents = st.one_of(
    st.binary(max_size=64),
    json_values.map(as_json),
    st.fixed_dictionaries(
        {
            "time": st.text(max_size=30) | st.just(PAST_TIME),
            "values": st.dictionaries(st.sampled_from(["ph", "do", "pm25", "x", "tp"]), json_values, max_size=3),
        }
    ).map(as_json),
)
not_numbers = json_values.filter(lambda value: not isinstance(value, int | float) or isinstance(value, bool))
# Payloads on a water topic that can hold no storable reading: each must be rejected with a reason.
bad_documents = st.one_of(
    st.binary(max_size=64),
    json_values.map(as_json),
    st.fixed_dictionaries(
        {
            "time": st.just(PAST_TIME),
            "values": st.dictionaries(st.sampled_from(["ph", "do", "tp"]), not_numbers, min_size=1, max_size=3),
        }
    ).map(as_json),
    st.fixed_dictionaries(
        {
            "time": st.just(PAST_TIME),
            "values": st.dictionaries(st.sampled_from(["pm25", "x", ""]), st.integers(0, 10), min_size=1, max_size=2),
        }
    ).map(as_json),
    st.fixed_dictionaries(
        {"time": st.sampled_from(["2026-11-27T09:00:00", "2026-11-27", "yesterday", ""]), "values": st.just({"ph": 7})}
    ).map(as_json),
)


def sample(strategy: st.SearchStrategy[Drawn], count: int) -> list[Drawn]:
    """``count`` examples drawn by Hypothesis (for an end-to-end test that cannot run once per example)."""
    drawn: list[Drawn] = []

    @settings(
        max_examples=count,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def collect(value: Drawn) -> None:
        drawn.append(value)

    collect()
    return drawn
