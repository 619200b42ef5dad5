"""The SensorThings API keeps its OpenAPI contract under fuzzing (schemathesis, tests/support/contract.py): no 5xx,
every response as documented, no 2xx for a request the schema forbids; against ``envmon sensorthings`` in its own
process, with a Xiaoshan key, on readings at the boundary section."""

from __future__ import annotations

import httpx
import pytest

from tests.support.contract import assert_contract, untyped_successes, url_contract
from tests.support.sensorthings import XIAOSHAN_KEY

pytestmark = pytest.mark.integration

OPERATIONS = 6  # the service root, a collection, an entity, a relation, /healthz, /metrics


def test_every_success_has_a_response_schema(server: str) -> None:
    assert untyped_successes(httpx.get(f"{server}/openapi.json").json()) == []


def test_the_api_keeps_its_contract(server: str) -> None:
    assert_contract(
        url_contract(server, max_examples=5, headers={"X-API-Key": XIAOSHAN_KEY}), expected_operations=OPERATIONS
    )
