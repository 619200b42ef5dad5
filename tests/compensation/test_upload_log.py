"""Withdrawing a wrong upload of monitoring results: only a sampling party's bureau, with a reason, audited;
its results stop counting (a recalculated statement differs, a signed one no longer verifies) and stay in the
upload history as 已撤回; the corrected result can then be uploaded. API, index page and Chromium."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import sync_playwright
from sqlalchemy import Engine, select

from services.compensation import auth
from services.compensation.access import Role
from services.storage.schema import readings, recompute_queue
from tests.support.chromium import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, VIEWPORT
from tests.support.compensation import PASSWORD, XXJ, Keys, as_, joint_year, upload

pytestmark = pytest.mark.integration

# keqiao's own sample in December, the report misread: 0.40 mg/L of TP instead of 0.18
WRONG = {
    "section": "XXJ-YANGXUN",
    "date": "2025-12-20",
    "time": "10:00",
    "indicator": "tp",
    "value": "0.40",
    "tier": "manual",
    "sampling_parties": ["keqiao"],
    "report_no": "2025-KQ-120",
}
REASON = "报告编号 2025-KQ-120 总磷录错（0.18 误录为 0.40）"


def bureau_of(engine: Engine, party: str) -> str:
    with engine.begin() as conn:
        return auth.create_api_key(conn, f"bureau-{party}", Role.BUREAU, [party])


def withdraw(client: TestClient, key: str, upload_id: int, body: Any = None) -> Any:
    return client.post(
        f"/monitoring/uploads/{upload_id}/withdrawal",
        json={"reason": REASON} if body is None else body,
        headers=as_(key),
    )


def statement(client: TestClient, key: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(path, json=body, headers=as_(key))
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def tp_values(engine: Engine) -> list[tuple[float, str]]:
    """The TP readings at 杨汛桥: (value, source)."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(readings.c.value, readings.c.source).where(
                readings.c.station == "XXJ-YANGXUN", readings.c.parameter == "tp"
            )
        )
        return [(row.value, row.source) for row in rows]


def test_a_withdrawn_upload_stops_counting_and_a_signed_statement_no_longer_verifies(
    client: TestClient, keys: Keys, compensation_db: Engine
) -> None:
    keqiao = bureau_of(compensation_db, "keqiao")
    assert upload(client, keqiao, joint_year()).status_code == 201
    first = statement(client, keys.bureau, f"/agreements/{XXJ}/statements", {"period": "2025"})
    wrong = upload(client, keqiao, [WRONG])
    assert wrong.status_code == 201, wrong.text
    wrong_upload = wrong.json()["upload_id"]
    with_wrong = statement(
        client,
        keys.bureau,
        f"/statements/{first['id']}/recalculate",
        {"reason": "12月柯桥手工监测结果", "approver": "王局长"},
    )
    assert with_wrong["input_sha256"] != first["input_sha256"]
    confirmed = client.post(
        f"/statements/{with_wrong['id']}/transitions", json={"status": "confirmed"}, headers=as_(keys.bureau)
    )
    assert confirmed.status_code == 200, confirmed.text

    withdrawn = withdraw(client, keqiao, wrong_upload)
    assert withdrawn.status_code == 200, withdrawn.text
    body = withdrawn.json()
    assert (body["upload_id"], body["results"], body["withdrawn_by"], body["reason"]) == (
        wrong_upload,
        1,
        "bureau-keqiao",
        REASON,
    )
    assert body["withdrawn_at"].endswith("+08:00")

    # the reading is gone, its day queued for the KPIs, exactly as late data would queue it
    assert (0.4, "manual") not in tp_values(compensation_db)
    with compensation_db.connect() as conn:
        queued = conn.execute(select(recompute_queue.c.day).where(recompute_queue.c.station == "XXJ-YANGXUN"))
        assert date(2025, 12, 20) in set(queued.scalars())

    # the confirmed statement is flagged as late data flags it: verify no longer matches today's readings
    verified = client.get(f"/statements/{with_wrong['id']}/verify", headers=as_(keys.viewer)).json()
    assert verified["match"] is False
    assert "inputs: the readings of the period changed since the statement was computed" in verified["mismatches"]
    # recalculated, it is the statement without the wrong result again
    again = statement(
        client,
        keys.bureau,
        f"/statements/{with_wrong['id']}/recalculate",
        {"reason": "柯桥撤回 12 月错误结果", "approver": "王局长"},
    )
    assert again["input_sha256"] == first["input_sha256"] != with_wrong["input_sha256"]
    assert again["document"]["indicators"] == first["document"]["indicators"]
    assert again["document"]["indicators"] != with_wrong["document"]["indicators"]

    # the upload stays in the history as withdrawn; its result is listed only when asked for
    history = client.get("/monitoring/uploads", headers=as_(keys.keqiao_viewer)).json()
    newest = history[0]
    assert (newest["id"], newest["withdrawn_by"], newest["withdrawal_reason"], newest["withdrawable"]) == (
        wrong_upload,
        "bureau-keqiao",
        REASON,
        False,
    )
    assert history[1]["withdrawn_at"] is None and history[1]["results"] == 36
    current = client.get("/monitoring/results?year=2025", headers=as_(keys.viewer)).json()
    assert len(current) == 36 and not any(r["upload_id"] == wrong_upload for r in current)
    everything = client.get("/monitoring/results?year=2025&include_withdrawn=true", headers=as_(keys.viewer)).json()
    assert [r["withdrawn"] for r in everything if r["upload_id"] == wrong_upload] == [True]

    audit = client.get("/audit", headers=as_(keys.admin)).json()
    entry = next(e for e in audit if e["action"] == "monitoring.withdraw")
    assert (entry["actor"], entry["object"], entry["detail"]["reason"]) == (
        "bureau-keqiao",
        f"upload:{wrong_upload}",
        REASON,
    )


def test_the_corrected_result_is_accepted_once_the_wrong_one_is_withdrawn(
    client: TestClient, keys: Keys, compensation_db: Engine
) -> None:
    keqiao = bureau_of(compensation_db, "keqiao")
    wrong = upload(client, keqiao, [WRONG]).json()["upload_id"]
    corrected = {**WRONG, "value": "0.18"}
    refused = upload(client, keqiao, [corrected])
    assert refused.status_code == 422 and f"conflicts with upload #{wrong}" in refused.text
    assert withdraw(client, keqiao, wrong).status_code == 200
    accepted = upload(client, keqiao, [corrected])
    assert (accepted.status_code, accepted.json()["stored"]) == (201, 1), accepted.text
    assert tp_values(compensation_db) == [(0.18, "manual")]
    # the same wrong sheet sent again is a new upload, not a repeat of the withdrawn one
    assert withdraw(client, keqiao, accepted.json()["upload_id"]).status_code == 200
    resent = upload(client, keqiao, [WRONG]).json()
    assert (resent["stored"], resent["unchanged"]) == (1, 0)


def test_only_a_bureau_of_a_sampling_party_withdraws_with_a_reason(
    client: TestClient, keys: Keys, compensation_db: Engine
) -> None:
    keqiao, xiaoshan, zhuji = (bureau_of(compensation_db, p) for p in ("keqiao", "xiaoshan", "zhuji"))
    manual = upload(client, keqiao, [WRONG]).json()["upload_id"]
    joint = upload(client, keqiao, joint_year()[:3]).json()["upload_id"]

    refused = withdraw(client, xiaoshan, manual)  # xiaoshan sees the agreement but did not sample
    assert refused.status_code == 403
    assert "your party (xiaoshan) did not take part in the sampling of 1 of its 1 results" in refused.text
    assert "XXJ-YANGXUN tp 2025-12-20 sampled by keqiao" in refused.text
    assert withdraw(client, zhuji, manual).status_code == 404  # not an agreement zhuji is party to
    assert withdraw(client, keys.finance, manual).status_code == 403
    assert withdraw(client, keys.viewer, manual).status_code == 403
    for bad in ({}, {"reason": ""}, {"reason": "   "}, {"reason": "a\u0000b"}, {"reason": "因" * 501}, {"x": 1}):
        assert withdraw(client, keqiao, manual, bad).status_code == 422, bad
    assert withdraw(client, keqiao, 2**63).status_code == 422
    assert withdraw(client, keqiao, 999_999).status_code == 404
    assert tp_values(compensation_db).count((0.4, "manual")) == 1, "a refused request withdraws nothing"

    assert withdraw(client, xiaoshan, joint).status_code == 200  # a joint sample's other party may withdraw it
    assert withdraw(client, keys.bureau, manual).status_code == 200  # so may the city level, as it may upload
    twice = withdraw(client, keqiao, manual)
    assert twice.status_code == 409 and "already withdrawn by bureau-sx" in twice.text
    rejected = {
        e["actor"]
        for e in client.get("/audit", headers=as_(keys.admin)).json()
        if e["action"] == "request.rejected" and "withdrawal" in e["object"]
    }
    assert {"bureau-xiaoshan", "bureau-zhuji", "finance-sx", "viewer-sx", "bureau-keqiao"} <= rejected


def _csrf(page: str, upload_id: int) -> str:
    form = re.search(
        rf'action="/ui/monitoring/uploads/{upload_id}/withdrawal" class="withdraw">\s*'
        r'<input type="hidden" name="csrf" value="([0-9a-f]{64})"',
        page,
    )
    assert form is not None, "the bureau sees the withdraw form"
    return form.group(1)


def test_the_index_page_withdraws_with_csrf_and_a_reason(client: TestClient, keys: Keys) -> None:
    wrong = upload(client, keys.bureau, [WRONG]).json()["upload_id"]
    index = client.post("/ui/login", data={"username": "bureau-user", "password": PASSWORD}).text
    token = _csrf(index, wrong)
    forged = client.post(f"/ui/monitoring/uploads/{wrong}/withdrawal", data={"reason": REASON, "csrf": "0" * 64})
    assert forged.status_code == 403 and "CSRF" in forged.text
    no_reason = client.post(f"/ui/monitoring/uploads/{wrong}/withdrawal", data={"reason": " ", "csrf": token})
    assert f"撤回上传 #{wrong} 须填写原因" in no_reason.text
    done = client.post(f"/ui/monitoring/uploads/{wrong}/withdrawal", data={"reason": REASON, "csrf": token})
    assert done.status_code == 200 and f"已撤回上传 #{wrong}（1 条结果）" in done.text
    history = done.text[done.text.index('id="upload-history"') :]
    assert "已撤回" in history and REASON in history and "bureau-sx" in history
    assert f"/ui/monitoring/uploads/{wrong}/withdrawal" not in history  # nothing left to withdraw
    again = client.post(f"/ui/monitoring/uploads/{wrong}/withdrawal", data={"reason": REASON, "csrf": token})
    assert "already withdrawn" in again.text


def test_a_bureau_withdraws_an_upload_in_chromium(server: str, keys: Keys) -> None:
    headers = as_(keys.bureau)
    assert httpx.post(f"{server}/monitoring/results", json={"results": joint_year()}, headers=headers).is_success
    wrong = httpx.post(f"{server}/monitoring/results", json={"results": [WRONG]}, headers=headers).json()["upload_id"]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_context(viewport=VIEWPORT, locale="zh-CN").new_page()
        page.goto(f"{server}/ui/")
        page.fill("input[name=username]", "bureau-user")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        row = page.locator("#upload-history tbody tr").first
        assert row.locator("td").first.inner_text() == f"#{wrong}"
        row.locator("input[name=reason]").fill(REASON)
        row.locator("button").click()
        assert f"已撤回上传 #{wrong}" in page.inner_text(".notice")
        row = page.locator("#upload-history tbody tr").first
        assert "已撤回" in row.inner_text() and REASON in row.inner_text()
        assert page.locator("#upload-history tbody tr").nth(1).locator("button").inner_text() == "撤回"
        (ARTIFACTS / "compensation").mkdir(parents=True, exist_ok=True)
        page.locator("#upload-history").scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / "compensation" / "upload-withdrawn.png"))
        page.screenshot(path=str(ARTIFACTS / "compensation" / "upload-withdrawn-full.png"), full_page=True)
        browser.close()
