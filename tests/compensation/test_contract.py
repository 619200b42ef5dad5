"""The compensation API keeps its OpenAPI contract under fuzzing (schemathesis, tests/support/contract.py):
no 5xx, every response as documented, no 2xx for a request that violates the schema.

Over HTTP against the app served by uvicorn, on the real database with the shipped agreements and a
settled statement, as a bureau principal (who may compute, sign off and recalculate; admin-only
operations answer their documented 403).
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.support.compensation import Keys, as_, store_monthly
from tests.support.contract import assert_contract, untyped_successes, url_contract

pytestmark = pytest.mark.integration

OPERATIONS = 23  # every operation of the API (the pages are not in the OpenAPI)


def test_every_success_has_a_response_schema(client: TestClient) -> None:
    assert untyped_successes(client.get("/openapi.json").json()) == []


def test_the_api_keeps_its_contract(server: str, client: TestClient, keys: Keys, compensation_db: Engine) -> None:
    store_monthly(compensation_db, "XXJ-YANGXUN", 2025, {"codmn": 4.0, "nh3n": 0.8, "tp": 0.17})
    created = client.post(
        "/agreements/XXJ-XIAOSHAN-KEQIAO/statements", json={"period": "2025"}, headers=as_(keys.bureau)
    )
    assert created.status_code == 201
    assert_contract(url_contract(server, max_examples=5, headers=as_(keys.bureau)), expected_operations=OPERATIONS)
