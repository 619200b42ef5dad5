"""Statements stored under an older document schema verify in that schema (what the current one would add is a
note), a tampered one still fails, and a document no known schema reads is refused with the reason, never a 500."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from services.compensation import repository
from services.compensation.agreements import load_agreement_files
from services.compensation.document import StatementDocument, in_schema, read_stored
from tests.support.compensation import XXJ, Keys, as_, store_monthly

pytestmark = pytest.mark.integration

GOOD_WATER = {"codmn": 4.0, "nh3n": 0.8, "tp": 0.17}


def compute_2025(client: TestClient, keys: Keys, engine: Engine) -> int:
    store_monthly(engine, "XXJ-YANGXUN", 2025, GOOD_WATER)
    response = client.post(f"/agreements/{XXJ}/statements", json={"period": "2025"}, headers=as_(keys.bureau))
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def stored_document(engine: Engine, statement_id: int) -> StatementDocument:
    with engine.connect() as conn:
        return read_stored(repository.statement(conn, statement_id)["document"])


def store_revision(engine: Engine, statement_id: int, document: str) -> int:
    """The next revision of the statement's period carrying ``document``, inserted through the repository as the
    code of that document's schema stored statements: the same columns beside it and a first sign-off event."""
    with engine.begin() as conn:
        row = repository.statement(conn, statement_id)
        values = {name: value for name, value in row.items() if name not in ("id", "created_at")}
        stored = repository.insert_statement(conn, {**values, "revision": row["revision"] + 1, "document": document})
        repository.add_event(conn, stored, row["status"], row["created_by"], None)
    return stored


def verify(client: TestClient, keys: Keys, statement_id: int) -> Any:
    response = client.get(f"/statements/{statement_id}/verify", headers=as_(keys.viewer))
    assert response.status_code == 200, response.text
    return response.json()


def test_a_schema_3_statement_verifies_in_its_schema(client: TestClient, keys: Keys, compensation_db: Engine) -> None:
    current = compute_2025(client, keys, compensation_db)
    assert (verify(client, keys, current)["schema_version"], verify(client, keys, current)["notes"]) == (4, [])
    schema_3 = in_schema(stored_document(compensation_db, current), 3).canonical()
    assert json.loads(schema_3)["schema_version"] == 3
    assert b"joint_confirmation" not in schema_3  # neither the block nor the agreement's rule existed in 3
    old = store_revision(compensation_db, current, schema_3.decode())

    verified = verify(client, keys, old)
    assert (verified["match"], verified["schema_version"], verified["mismatches"]) == (True, 3, [])
    assert [note.split(" (")[0] for note in verified["notes"]] == [
        "verified in schema 3; a recalculation under schema 4 would add joint_confirmation",
        "verified in schema 3; a recalculation under schema 4 would add data_rules.require_joint_confirmation",
    ]
    shown = client.get(f"/statements/{old}", headers=as_(keys.viewer)).json()
    assert (shown["amount_yuan"], shown["document"]["joint_confirmation"]) == ("5000000.00", None)


def _amount(document: StatementDocument) -> StatementDocument:
    assert document.result is not None
    return document.model_copy(update={"result": document.result.model_copy(update={"amount_yuan": 1})})


def _volumes(document: StatementDocument) -> StatementDocument:
    inputs = document.inputs.model_copy(update={"term_total_before": document.inputs.term_total_before + 1})
    return document.model_copy(update={"inputs": inputs})


@pytest.mark.parametrize("tamper", [_amount, _volumes], ids=["result amount", "term total before"])
def test_a_tampered_schema_3_statement_fails_verify(
    client: TestClient, keys: Keys, compensation_db: Engine, tamper: Callable[[StatementDocument], StatementDocument]
) -> None:
    current = compute_2025(client, keys, compensation_db)
    tampered = tamper(in_schema(stored_document(compensation_db, current), 3))
    verified = verify(client, keys, store_revision(compensation_db, current, tampered.canonical().decode()))
    assert (verified["match"], verified["schema_version"]) == (False, 3)
    assert "document: the statement recomputed in its schema 3 differs from the stored one" in verified["mismatches"]


def test_a_schema_3_statement_cannot_be_of_a_version_requiring_joint_confirmation(
    client: TestClient, keys: Keys, compensation_db: Engine
) -> None:
    # relabelling a statement as schema 3 would drop the 数据互认 the agreement version requires
    content = next(a for a in load_agreement_files() if a.id == XXJ).model_dump(mode="json")
    content["data_rules"]["require_joint_confirmation"] = True
    assert client.put(f"/agreements/{XXJ}", json=content, headers=as_(keys.admin)).status_code == 200
    current = compute_2025(client, keys, compensation_db)
    relabelled = in_schema(stored_document(compensation_db, current), 3).canonical().decode()
    verified = verify(client, keys, store_revision(compensation_db, current, relabelled))
    assert verified["match"] is False
    assert verified["mismatches"] == [
        "schema 3: the agreement version sets data_rules.require_joint_confirmation, which schema 3 could not express"
    ]


def _pre_typed(document: dict[str, Any]) -> Any:
    return {"schema": 2, **{k: v for k, v in document.items() if k != "schema_version"}}


@pytest.mark.parametrize(
    ("rewrite", "reason"),
    [
        (_pre_typed, "the stored document is of schema 2; this version reads schemas 3–4"),
        (lambda d: {**d, "schema_version": 9}, "the stored document is of schema 9; this version reads schemas 3–4"),
        (lambda d: {**d, "schema_version": "4"}, "the stored document names no schema version ('4')"),
        (lambda d: [d], "the stored document is not a JSON object"),
        (lambda d: {**d, "status": "settled"}, "the stored document does not read as schema 4: status: "),
        (lambda d: {**d, "extra": 1}, "the stored document does not read as schema 4: extra: "),
    ],
    ids=["pre-typed schema 2", "future schema", "schema as text", "not an object", "bad status", "unknown field"],
)
def test_a_document_no_known_schema_reads_is_refused_with_the_reason(
    client: TestClient, keys: Keys, compensation_db: Engine, rewrite: Callable[[dict[str, Any]], Any], reason: str
) -> None:
    current = compute_2025(client, keys, compensation_db)
    document = json.loads(stored_document(compensation_db, current).canonical())
    unreadable = store_revision(compensation_db, current, json.dumps(rewrite(document), ensure_ascii=False))
    for path in (
        f"/statements/{unreadable}/verify",
        f"/statements/{unreadable}",
        f"/statements/{unreadable}/export.csv",
    ):
        response = client.get(path, headers=as_(keys.viewer))
        assert response.status_code == 409, (path, response.text)
        assert response.json()["detail"].startswith(reason)
    refused = client.get("/audit", headers=as_(keys.admin)).json()
    assert any(e["action"] == "request.rejected" and e["object"] == f"/statements/{unreadable}/verify" for e in refused)
