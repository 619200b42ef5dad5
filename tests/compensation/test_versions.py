"""Agreement versions in force by date, the PUT-back case, and nothing outside the hash (the tamper test)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, insert, text

from services.compensation.agreements import load_agreement_files
from services.standards.local_time import BEIJING_TIME
from services.storage.schema import readings
from tests.support.compensation import Keys, as_, store_monthly

pytestmark = pytest.mark.integration

XXJ = "XXJ-XIAOSHAN-KEQIAO"
GOOD_WATER = {"codmn": 4.0, "nh3n": 0.8, "tp": 0.17}


def shipped() -> dict[str, Any]:
    return next(a for a in load_agreement_files() if a.id == XXJ).model_dump(mode="json")


def put(client: TestClient, keys: Keys, content: dict[str, Any]) -> Any:
    response = client.put(f"/agreements/{XXJ}", json=content, headers=as_(keys.admin))
    assert response.status_code == 200, response.text
    return response.json()


def compute(client: TestClient, keys: Keys, period: str) -> Any:
    response = client.post(f"/agreements/{XXJ}/statements", json={"period": period}, headers=as_(keys.bureau))
    assert response.status_code == 201, response.text
    return response.json()


def test_putting_back_earlier_content_makes_a_new_version_in_force(client: TestClient, keys: Keys) -> None:
    original = shipped()
    edited = {**original, "caps": {"per_period": "2000000"}}
    assert (put(client, keys, edited)["version"], put(client, keys, edited)["created"]) == (2, False)
    back = put(client, keys, original)
    assert (back["version"], back["created"]) == (3, True)
    assert put(client, keys, original)["created"] is False  # already the version in force from its date
    detail = client.get(f"/agreements/{XXJ}", headers=as_(keys.viewer)).json()
    assert detail["version"] == 3 and detail["content"]["caps"] == original["caps"]
    assert [(h["version"], h["replaced"]) for h in detail["history"]] == [(1, True), (2, True), (3, False)]


def test_a_period_uses_the_version_in_force_and_recalculation_keeps_it(
    client: TestClient, keys: Keys, compensation_db: Engine
) -> None:
    store_monthly(compensation_db, "XXJ-YANGXUN", 2025, GOOD_WATER)
    first = compute(client, keys, "2025")
    # signed for 2026: a bigger fixed sum from 2026-01-01 on
    content = shipped()
    content["components"][0]["bands"] = [{"upper": "1", "amount": "9000000"}, {"amount": "-9000000"}]
    assert put(client, keys, {**content, "effective_from": "2026-01-01"})["version"] == 2
    with compensation_db.begin() as conn:  # late data for 2025, then a recalculation
        conn.execute(
            insert(readings),
            [
                {
                    "time": datetime(2025, 12, 20, tzinfo=BEIJING_TIME),
                    "station": "XXJ-YANGXUN",
                    "parameter": "tp",
                    "value": 0.16,
                    "flag": "N",
                    "source": "manual",
                }
            ],
        )
    revised = client.post(
        f"/statements/{first['id']}/recalculate",
        json={"reason": "迟到数据", "approver": "王局长"},
        headers=as_(keys.bureau),
    ).json()
    assert (revised["agreement_version"], revised["amount_yuan"]) == (1, "5000000.00")
    store_monthly(compensation_db, "XXJ-YANGXUN", 2026, GOOD_WATER)
    later = compute(client, keys, "2026")
    assert (later["agreement_version"], later["amount_yuan"]) == (2, "9000000.00")
    # v1 stays in force for the periods before 2026
    assert compute(client, keys, "2024")["agreement_version"] == 1


def test_changing_the_amount_column_fails_verify_and_changes_nothing_shown(
    client: TestClient, keys: Keys, compensation_db: Engine
) -> None:
    store_monthly(compensation_db, "XXJ-YANGXUN", 2025, GOOD_WATER)
    statement = compute(client, keys, "2025")["id"]
    assert client.get(f"/statements/{statement}/verify", headers=as_(keys.viewer)).json()["match"] is True
    with compensation_db.begin() as conn:
        conn.execute(text("update compensation_statements set amount = 1 where id = :id"), {"id": statement})
    verified = client.get(f"/statements/{statement}/verify", headers=as_(keys.viewer)).json()
    assert verified["match"] is False
    assert any(m.startswith("column amount") for m in verified["mismatches"])
    # the list, the statement and the page all show the document's figure, never the column's
    listed = client.get("/statements", headers=as_(keys.viewer)).json()
    assert [s["amount_yuan"] for s in listed] == ["5000000.00"]
    assert client.get(f"/statements/{statement}", headers=as_(keys.viewer)).json()["amount_yuan"] == "5000000.00"


def test_changing_the_status_column_fails_verify(client: TestClient, keys: Keys, compensation_db: Engine) -> None:
    store_monthly(compensation_db, "XXJ-YANGXUN", 2025, GOOD_WATER)
    statement = compute(client, keys, "2025")["id"]
    with compensation_db.begin() as conn:
        conn.execute(text("update compensation_statements set status = 'paid' where id = :id"), {"id": statement})
    verified = client.get(f"/statements/{statement}/verify", headers=as_(keys.viewer)).json()
    assert verified["match"] is False and any(m.startswith("column status") for m in verified["mismatches"])
