"""The API end to end on TimescaleDB: compute, sign off, verify, revise, scope, reject bad input, audit."""

from __future__ import annotations

import io
import subprocess
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import Engine, insert

from services.compensation.agreements import load_agreement_files
from services.standards.local_time import BEIJING_TIME
from services.storage.schema import readings
from tests.support.compensation import PASSWORD, Keys, as_, store_monthly

pytestmark = pytest.mark.integration

XXJ = "XXJ-XIAOSHAN-KEQIAO"
GOOD_WATER = {"codmn": 4.0, "nh3n": 0.8, "tp": 0.17}


def compute(client: TestClient, key: str, agreement: str = XXJ, period: str = "2025") -> Any:
    return client.post(f"/agreements/{agreement}/statements", json={"period": period}, headers=as_(key))


def move(client: TestClient, key: str, statement: int, status: str) -> Any:
    return client.post(f"/statements/{statement}/transitions", json={"status": status}, headers=as_(key))


def test_statement_lifecycle_verify_and_revision(client: TestClient, keys: Keys, compensation_db: Engine) -> None:
    store_monthly(compensation_db, "XXJ-YANGXUN", 2025, GOOD_WATER)
    created = compute(client, keys.bureau)
    assert created.status_code == 201, created.text
    body = created.json()
    document = body["document"]
    assert (body["status"], body["revision"], body["agreement_version"]) == ("draft", 1, 1)
    # P = 0.9 × (0.3 × 4/4.2 + 0.35 × 0.8/0.85 + 0.35 × 0.17/0.18) < 1 → Keqiao pays Xiaoshan 500万
    assert document["result"]["payer"]["name"] == "柯桥区" and body["payer"]["name"] == "柯桥区"
    assert document["result"]["amount_capital"] == "伍佰万元整" and body["amount_yuan"] == "5000000.00"
    assert document["indicators"][0]["sources"] == ["manual"]
    statement = body["id"]

    assert move(client, keys.finance, statement, "confirmed").status_code == 403
    assert move(client, keys.bureau, statement, "approved").status_code == 403
    assert move(client, keys.bureau, statement, "confirmed").status_code == 200
    for status in ("approved", "notified", "paid"):
        assert move(client, keys.finance, statement, status).json()["status"] == status
    events = client.get(f"/statements/{statement}", headers=as_(keys.viewer)).json()["events"]
    assert [(e["status"], e["actor"]) for e in events] == [
        ("draft", "bureau-sx"),
        ("confirmed", "bureau-sx"),
        ("approved", "finance-sx"),
        ("notified", "finance-sx"),
        ("paid", "finance-sx"),
    ]

    verified = client.get(f"/statements/{statement}/verify", headers=as_(keys.viewer)).json()
    assert verified["match"] is True and verified["input_sha256_now"] == verified["input_sha256"]

    with compensation_db.begin() as conn:  # a late manual result for December
        conn.execute(
            insert(readings),
            [
                {
                    "time": datetime(2025, 12, 20, tzinfo=BEIJING_TIME),
                    "station": "XXJ-YANGXUN",
                    "parameter": "tp",
                    "value": 0.4,
                    "flag": "N",
                    "source": "manual",
                }
            ],
        )
    late = client.get(f"/statements/{statement}/verify", headers=as_(keys.viewer)).json()
    assert late["match"] is False and late["input_sha256_now"] != late["input_sha256"]

    refused = client.post(
        f"/statements/{statement}/recalculate",
        json={"reason": "迟到数据", "approver": "王局长"},
        headers=as_(keys.finance),
    )
    assert refused.status_code == 403
    revised = client.post(
        f"/statements/{statement}/recalculate",
        json={"reason": "迟到数据", "approver": "王局长"},
        headers=as_(keys.bureau),
    ).json()
    assert (revised["revision"], revised["status"], revised["reason"], revised["approver"]) == (
        2,
        "draft",
        "迟到数据",
        "王局长",
    )
    original = client.get(f"/statements/{statement}", headers=as_(keys.viewer)).json()
    assert original["status"] == "paid" and original["input_sha256"] == verified["input_sha256"]
    assert client.get(f"/statements/{revised['id']}/verify", headers=as_(keys.viewer)).json()["match"] is True


def test_insufficient_data_blocks_the_statement(client: TestClient, keys: Keys) -> None:
    body = compute(client, keys.finance, "HYJ-ZHUJI-FUYANG").json()
    assert body["status"] == "insufficient data"
    assert body["document"]["result"] is None and body["amount_yuan"] is None
    assert move(client, keys.bureau, body["id"], "confirmed").status_code == 409


@pytest.mark.parametrize(
    ("path", "payload", "status", "message"),
    [
        ("/agreements/NO-SUCH/statements", {"period": "2025"}, 404, "unknown agreement 'NO-SUCH'"),
        (f"/agreements/{XXJ}/statements", {"period": "2030"}, 422, "outside the term"),
        (f"/agreements/{XXJ}/statements", {"period": "2025-03"}, 422, "not a year label"),
        (f"/agreements/{XXJ}/statements", {"period": "٢٠٢٥"}, 422, "period"),
        (f"/agreements/{XXJ}/statements", {"period": "2025", "extra": 1}, 422, "extra"),
    ],
)
def test_bad_requests_get_a_clear_4xx(
    client: TestClient, keys: Keys, path: str, payload: dict[str, Any], status: int, message: str
) -> None:
    response = client.post(path, json=payload, headers=as_(keys.bureau))
    assert response.status_code == status
    assert message in response.text


def shipped(agreement_id: str) -> dict[str, Any]:
    agreement = next(a for a in load_agreement_files() if a.id == agreement_id)
    return agreement.model_dump(mode="json")


def test_admin_edits_create_versions_and_bad_weights_are_refused(
    client: TestClient, keys: Keys, compensation_db: Engine
) -> None:
    content = shipped(XXJ)
    content["components"][0]["weights"] = {"codmn": "0.3", "nh3n": "0.3", "tp": "0.3"}
    bad = client.put(f"/agreements/{XXJ}", json=content, headers=as_(keys.admin))
    assert bad.status_code == 422 and "weights sum to 0.9, not 1" in bad.text
    content = shipped(XXJ)
    content["indicators"][0]["baseline"] = "4.00"
    assert client.put(f"/agreements/{XXJ}", json=content, headers=as_(keys.bureau)).status_code == 403
    edited = client.put(f"/agreements/{XXJ}", json=content, headers=as_(keys.admin)).json()
    assert (edited["version"], edited["created"]) == (2, True)
    history = client.get(f"/agreements/{XXJ}", headers=as_(keys.viewer)).json()["history"]
    assert [(h["version"], h["origin"]) for h in history] == [(1, "file"), (2, "api")]
    store_monthly(compensation_db, "XXJ-YANGXUN", 2025, GOOD_WATER)
    assert compute(client, keys.bureau).json()["agreement_version"] == 2
    actions = [(e["actor"], e["action"]) for e in client.get("/audit", headers=as_(keys.admin)).json()]
    # refusals are audited under the real principal (the bad weights by admin, the forbidden edit by bureau)
    assert {("admin", "agreement.version"), ("admin", "request.rejected"), ("bureau-sx", "request.rejected")} <= set(
        actions
    )


def test_scoping_and_credentials(client: TestClient, keys: Keys) -> None:
    visible = [a["id"] for a in client.get("/agreements", headers=as_(keys.keqiao_viewer)).json()]
    assert visible == [XXJ]
    assert client.get("/agreements/PYJ-ZHUJI-XIAOSHAN", headers=as_(keys.keqiao_viewer)).status_code == 404
    assert len(client.get("/agreements", headers=as_(keys.viewer)).json()) == 3
    assert client.get("/agreements").status_code == 401
    assert client.get("/agreements", headers=as_("wrong")).status_code == 401
    token = client.post("/token", data={"username": "finance-user", "password": PASSWORD}).json()["access_token"]
    assert client.get("/agreements", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert client.post("/token", data={"username": "finance-user", "password": "nope"}).status_code == 401


def test_exports_carry_the_same_statement(
    client: TestClient, keys: Keys, compensation_db: Engine, tmp_path: Path
) -> None:
    store_monthly(compensation_db, "XXJ-YANGXUN", 2025, GOOD_WATER)
    statement = compute(client, keys.bureau).json()["id"]

    def export(fmt: str) -> bytes:
        response = client.get(f"/statements/{statement}/export.{fmt}", headers=as_(keys.viewer))
        assert response.status_code == 200
        return bytes(response.content)

    assert '"amount_capital":"伍佰万元整"' in export("json").decode()
    assert "document.result.payer.name,柯桥区" in export("csv").decode()
    workbook = load_workbook(io.BytesIO(export("xlsx")))
    sheet = workbook["结算单"]
    values = {row[0].value: row[1] for row in sheet.iter_rows(min_row=2)}
    assert values["大写"].value == "人民币伍佰万元整"
    amount = values["金额（元）"]  # a number Excel can sum, shown with thousands separators
    assert (amount.value, amount.data_type, amount.number_format) == (5000000, "n", "#,##0.00")
    counts = list(workbook["数据质量"].iter_rows(min_row=2, values_only=True))
    assert all(isinstance(row[2], int) and isinstance(row[3], int) for row in counts)
    pdf = export("pdf")
    assert b"/FontFile2" in pdf  # the CJK TrueType font is embedded
    # pdftotext comes with poppler-utils (make deps); without it this test fails rather than skipping.
    (tmp_path / "s.pdf").write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", str(tmp_path / "s.pdf"), "-"], capture_output=True, check=True, text=True
    ).stdout
    assert "伍佰万元整" in text and "柯桥区" in text
    unknown = client.get(f"/statements/{statement}/export.doc", headers=as_(keys.viewer))
    assert unknown.status_code == 422 and "fmt" in unknown.text
