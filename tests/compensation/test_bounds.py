"""Every bad input of issue 12 and 14 answers 4xx naming the field, is audited, and never reaches the database."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.support.compensation import Keys, as_, store_monthly

pytestmark = pytest.mark.integration

XXJ = "XXJ-XIAOSHAN-KEQIAO"
BIG = 2**63


@pytest.fixture
def statement(client: TestClient, keys: Keys, compensation_db: Engine) -> int:
    store_monthly(compensation_db, "XXJ-YANGXUN", 2025, {"codmn": 4.0, "nh3n": 0.8, "tp": 0.17})
    response = client.post(f"/agreements/{XXJ}/statements", json={"period": "2025"}, headers=as_(keys.bureau))
    return int(response.json()["id"])


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        (
            "post",
            f"/agreements/{XXJ}/statements",
            {"period": "2025", "declared_volumes_m3": {"2025-01": -5000}},
            "2025-01",
        ),
        ("post", f"/agreements/{XXJ}/statements", {"period": "2025", "declared_volumes_m3": {"2025-01": 0}}, "2025-01"),
        (
            "post",
            f"/agreements/{XXJ}/statements",
            {"period": "2025", "declared_volumes_m3": {"2025-01": 1e30}},
            "2025-01",
        ),
        (
            "post",
            f"/agreements/{XXJ}/statements",
            {"period": "2025", "declared_volumes_m3": {"2025-01": "NaN"}},
            "2025-01",
        ),
        (
            "post",
            f"/agreements/{XXJ}/statements",
            {"period": "2025", "declared_volumes_m3": {"x\u0000": 1}},
            "declared_volumes_m3",
        ),
        ("post", f"/agreements/{XXJ}/statements", {"period": "٢٠٢٥"}, "period"),
        ("post", f"/agreements/{XXJ}/statements", {"period": "2025\u0000"}, "period"),
        ("post", f"/agreements/{XXJ}/statements", {"period": "0001"}, "period"),
        ("post", f"/agreements/{XXJ}/statements", {"period": "9999"}, "period"),
        ("post", "/agreements/XXJ%00/statements", {"period": "2025"}, "agreement_id"),
        ("get", f"/statements/{BIG}", None, "statement_id"),
        ("get", "/statements/0", None, "statement_id"),
        ("get", "/statements/-1/verify", None, "statement_id"),
        ("get", "/statements?year=1", None, "year"),
        ("get", "/statements?limit=-1", None, "limit"),
        ("get", "/statements?agreement=%00", None, "agreement"),
        ("get", f"/agreements/{XXJ}?version={BIG}", None, "version"),
    ],
)
def test_bad_input_answers_4xx_naming_the_field(
    client: TestClient, keys: Keys, method: str, path: str, body: Any, field: str
) -> None:
    response = client.request(method, path, json=body, headers=as_(keys.bureau))
    assert 400 <= response.status_code < 500, response.text
    assert field in response.text


def test_audit_limit_is_bounded(client: TestClient, keys: Keys) -> None:
    for limit in ("-1", "0", "1001", str(BIG)):
        response = client.get(f"/audit?limit={limit}", headers=as_(keys.admin))
        assert response.status_code == 422 and "limit" in response.text


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"status": "confirmed", "note": "x" * (1 << 20)}, "note"),
        ({"status": "confirmed", "note": "签\u0000字"}, "note"),
        ({"status": "deleted"}, "status"),
    ],
)
def test_sign_off_notes_are_bounded(
    client: TestClient, keys: Keys, statement: int, body: dict[str, Any], field: str
) -> None:
    response = client.post(f"/statements/{statement}/transitions", json=body, headers=as_(keys.bureau))
    assert response.status_code == 422 and field in response.text
    assert client.get(f"/statements/{statement}", headers=as_(keys.viewer)).json()["status"] == "draft"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"reason": "", "approver": "王局长"}, "reason"),
        ({"reason": "r" * 501, "approver": "王局长"}, "reason"),
        ({"reason": "迟到数据", "approver": "\u0007"}, "approver"),
    ],
)
def test_recalculation_texts_are_bounded(
    client: TestClient, keys: Keys, statement: int, body: dict[str, Any], field: str
) -> None:
    response = client.post(f"/statements/{statement}/recalculate", json=body, headers=as_(keys.bureau))
    assert response.status_code == 422 and field in response.text


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": "协" * 201}, "name"),
        ({"effective_from": "2030-01-01"}, "effective_from"),
        ({"term": {"start": "0001-01-01", "end": "9999-12-31"}}, "term"),
        ({"caps": {"per_period": "1e30"}}, "per_period"),
        ({"money_quantum": "0"}, "money_quantum"),
    ],
)
def test_agreement_edits_are_bounded(client: TestClient, keys: Keys, change: dict[str, Any], field: str) -> None:
    content = client.get(f"/agreements/{XXJ}", headers=as_(keys.admin)).json()["content"]
    response = client.put(f"/agreements/{XXJ}", json={**content, **change}, headers=as_(keys.admin))
    assert response.status_code == 422 and field in response.text


def test_a_volume_for_a_period_outside_the_statement_is_refused(client: TestClient, keys: Keys) -> None:
    deal = "PYJ-ZHUJI-XIAOSHAN"
    body = {"period": "2025", "declared_volumes_m3": {"2026-01": 1000}}
    response = client.post(f"/agreements/{deal}/statements", json=body, headers=as_(keys.bureau))
    assert response.status_code == 422 and "2026-01" in response.text


def test_refusals_are_audited_under_the_principal(client: TestClient, keys: Keys) -> None:
    client.get("/statements/0", headers=as_(keys.bureau))
    entries = client.get("/audit", headers=as_(keys.admin)).json()
    assert any(e["actor"] == "bureau-sx" and e["object"] == "/statements/0" for e in entries)
