"""数据互认: each party confirms a boundary section's month; the statement says whether its inputs were jointly
confirmed; late data reopens a month; an agreement that requires it refuses to confirm an unconfirmed statement."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import sync_playwright
from sqlalchemy import Engine, insert, select

from services.compensation import auth
from services.compensation.access import Role
from services.compensation.agreements import load_agreement_files
from services.compensation.tables import audit
from services.standards.local_time import BEIJING_TIME
from services.storage.schema import readings
from tests.compensation.test_pages import above_the_fold, screenshot
from tests.support.chromium import CHROMIUM, CHROMIUM_ARGS, VIEWPORT
from tests.support.compensation import PASSWORD, Keys, as_, store_automatic

pytestmark = pytest.mark.integration

XXJ = "XXJ-XIAOSHAN-KEQIAO"
SECTION = "XXJ-YANGXUN"
PARTNER = "XXJ-YANGXUN-XS"
LEVELS = {"codmn": 4.0, "nh3n": 0.8, "tp": 0.17}
PARTIES = ("keqiao", "xiaoshan")
MONTHS = [f"2025-{month:02d}" for month in range(1, 13)]


@pytest.fixture
def parties(compensation_db: Engine, keys: Keys) -> dict[str, str]:
    """A bureau key acting for each party of the 西小江 agreement, and the data of both stations in 2025."""
    with compensation_db.begin() as conn:
        made = {
            party: auth.create_api_key(conn, f"bureau-{party}", Role.BUREAU, [party])
            for party in ("keqiao", "xiaoshan")
        }
    store_automatic(compensation_db, SECTION, date(2025, 1, 1), date(2025, 12, 31), LEVELS)
    store_automatic(compensation_db, PARTNER, date(2025, 1, 1), date(2025, 12, 31), LEVELS)
    return made


def confirm(client: TestClient, key: str, month: str, party: str) -> Any:
    return client.post(f"/sections/{SECTION}/months/{month}/confirmations", json={"party": party}, headers=as_(key))


def state(client: TestClient, key: str, month: str) -> Any:
    response = client.get(f"/sections/{SECTION}/months/{month}/confirmation", headers=as_(key))
    assert response.status_code == 200, response.text
    return response.json()


def statement(client: TestClient, keys: Keys, response: Any) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    got = client.get(f"/statements/{response.json()['id']}", headers=as_(keys.bureau))
    assert got.status_code == 200, got.text
    return dict(got.json())


def test_a_month_confirmed_by_both_parties_shows_on_the_statement_and_late_data_reopens_it(
    client: TestClient, keys: Keys, parties: dict[str, str], compensation_db: Engine
) -> None:
    first = confirm(client, parties["keqiao"], "2025-06", "keqiao")
    assert first.status_code == 201, first.text
    assert (first.json()["revision"], first.json()["confirmed_by"], first.json()["missing"]) == (
        1,
        ["keqiao"],
        ["xiaoshan"],
    )
    assert first.json()["confirmed"] is False
    both = confirm(client, parties["xiaoshan"], "2025-06", "xiaoshan").json()
    assert (both["revision"], both["confirmed_by"], both["confirmed"], both["reopened"]) == (
        1,
        ["keqiao", "xiaoshan"],
        True,
        False,
    )
    assert confirm(client, parties["xiaoshan"], "2025-06", "xiaoshan").status_code == 409  # once per revision
    for month in MONTHS:
        if month != "2025-06":
            for party, key in parties.items():
                assert confirm(client, key, month, party).status_code == 201

    made = client.post(f"/agreements/{XXJ}/statements", json={"period": "2025"}, headers=as_(keys.bureau))
    joint = statement(client, keys, made)["document"]["joint_confirmation"]
    assert (joint["required"], joint["confirmed"]) == (False, True)
    assert client.post("/ui/login", data={"username": "bureau-user", "password": PASSWORD}).status_code == 200
    assert "已互认：12 个断面月的数据均经协议双方确认" in client.get(f"/ui/statements/{made.json()['id']}").text
    assert [(m["month"], m["confirmed_by"], m["confirmed"]) for m in joint["months"]][5] == (
        "2025-06",
        ["keqiao", "xiaoshan"],
        True,
    )

    # a late reading of June (a data logger's backfill) changes the month's rows: June is open again
    with compensation_db.begin() as conn:
        conn.execute(
            insert(readings).values(
                time=datetime(2025, 6, 15, 2, 30, tzinfo=BEIJING_TIME),
                station=PARTNER,
                parameter="nh3n",
                value=0.9,
                flag="N",
                source="backfill",
            )
        )
    june = state(client, parties["keqiao"], "2025-06")
    assert (june["revision"], june["confirmed"], june["reopened"], june["missing"]) == (
        1,
        False,
        True,
        ["keqiao", "xiaoshan"],
    )
    assert june["current_sha256"] != june["revision_sha256"]
    recalculated = client.post(
        f"/statements/{made.json()['id']}/recalculate",
        json={"reason": "迟到数据", "approver": "王局长"},
        headers=as_(keys.bureau),
    )
    joint = statement(client, keys, recalculated)["document"]["joint_confirmation"]
    assert joint["confirmed"] is False
    assert [(m["month"], m["missing"]) for m in joint["months"] if not m["confirmed"]] == [
        ("2025-06", ["keqiao", "xiaoshan"])
    ]
    sheet = client.get(f"/ui/statements/{recalculated.json()['id']}").text
    assert "未完成：西小江杨汛大桥(金山村)断面 2025-06 待 柯桥区、萧山区 确认" in sheet
    # the old statement no longer reproduces: its inputs and their confirmation changed
    verified = client.get(f"/statements/{made.json()['id']}/verify", headers=as_(keys.bureau)).json()
    assert (
        "joint confirmation: the months' confirmations changed since the statement was computed"
        in verified["mismatches"]
    )

    again = confirm(client, parties["keqiao"], "2025-06", "keqiao").json()
    assert (again["revision"], again["confirmed_by"], again["reopened"]) == (2, ["keqiao"], False)
    assert confirm(client, parties["xiaoshan"], "2025-06", "xiaoshan").json()["confirmed"] is True

    with compensation_db.connect() as conn:
        actions = conn.execute(
            select(audit.c.actor, audit.c.detail)
            .where(audit.c.action == "month.confirm", audit.c.object == f"month:{SECTION}:2025-06")
            .order_by(audit.c.id)
        ).all()
    assert [(actor, detail["party"], detail["revision"]) for actor, detail in actions] == [
        ("bureau-keqiao", "keqiao", 1),
        ("bureau-xiaoshan", "xiaoshan", 1),
        ("bureau-keqiao", "keqiao", 2),
        ("bureau-xiaoshan", "xiaoshan", 2),
    ]


def test_an_agreement_that_requires_it_refuses_to_confirm_an_unconfirmed_statement(
    client: TestClient, keys: Keys, parties: dict[str, str]
) -> None:
    content = next(a for a in load_agreement_files() if a.id == XXJ).model_dump(mode="json")
    content["data_rules"]["require_joint_confirmation"] = True
    assert client.put(f"/agreements/{XXJ}", json=content, headers=as_(keys.admin)).status_code == 200
    for month in MONTHS[:-1]:
        for party, key in parties.items():
            assert confirm(client, key, month, party).status_code == 201
    assert confirm(client, parties["keqiao"], "2025-12", "keqiao").status_code == 201  # Xiaoshan has not

    made = client.post(f"/agreements/{XXJ}/statements", json={"period": "2025"}, headers=as_(keys.bureau))
    joint = statement(client, keys, made)["document"]["joint_confirmation"]
    assert (joint["required"], joint["confirmed"]) == (True, False)
    refused = client.post(
        f"/statements/{made.json()['id']}/transitions", json={"status": "confirmed"}, headers=as_(keys.bureau)
    )
    assert refused.status_code == 409
    assert "XXJ-YANGXUN 2025-12（待 xiaoshan 确认）" in refused.json()["detail"]

    assert confirm(client, parties["xiaoshan"], "2025-12", "xiaoshan").status_code == 201
    recalculated = client.post(
        f"/statements/{made.json()['id']}/recalculate",
        json={"reason": "双方已确认", "approver": "王局长"},
        headers=as_(keys.bureau),
    )
    assert statement(client, keys, recalculated)["document"]["joint_confirmation"]["confirmed"] is True
    confirmed = client.post(
        f"/statements/{recalculated.json()['id']}/transitions", json={"status": "confirmed"}, headers=as_(keys.bureau)
    )
    assert confirmed.status_code == 200, confirmed.text


@pytest.mark.parametrize(
    ("key", "month", "party", "status", "detail"),
    [
        ("xiaoshan", "2025-06", "keqiao", 403, "does not act for party 'keqiao'"),
        ("viewer", "2025-06", "keqiao", 403, "may not confirm a month"),
        ("keqiao", "2099-01", "keqiao", 409, "has not ended yet"),
    ],
)
def test_only_a_bureau_acting_for_a_party_confirms_a_complete_month(
    client: TestClient, keys: Keys, parties: dict[str, str], key: str, month: str, party: str, status: int, detail: str
) -> None:
    api_key = parties.get(key) or keys.keqiao_viewer
    response = confirm(client, api_key, month, party)
    assert response.status_code == status, response.text
    assert detail in response.json()["detail"]


@pytest.fixture
def xiaoshan_clerk(compensation_db: Engine, keys: Keys) -> dict[str, str]:
    """A bureau user of Xiaoshan who logs in to the pages."""
    with compensation_db.begin() as conn:
        auth.create_user(conn, "xiaoshan-clerk", PASSWORD, Role.BUREAU, ["xiaoshan"])
    return {"username": "xiaoshan-clerk", "password": PASSWORD}


def test_a_clerk_confirms_a_month_on_the_page_in_chinese_above_the_fold(
    server: str, parties: dict[str, str], xiaoshan_clerk: dict[str, str]
) -> None:
    httpx.post(
        f"{server}/sections/{SECTION}/months/2025-03/confirmations",
        json={"party": "keqiao"},
        headers=as_(parties["keqiao"]),
    ).raise_for_status()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_context(viewport=VIEWPORT, locale="zh-CN").new_page()
        page.goto(f"{server}/ui/confirmations?section={SECTION}&year=2025")
        page.fill("input[name=username]", xiaoshan_clerk["username"])
        page.fill("input[name=password]", xiaoshan_clerk["password"])
        page.click("button[type=submit]")
        page.goto(f"{server}/ui/confirmations?section={SECTION}&year=2025")
        march = page.locator("#months tbody tr").nth(2)
        assert "部分确认" in march.inner_text() and "柯桥区" in march.inner_text() and "萧山区" in march.inner_text()
        assert above_the_fold(page, "#awaiting").count("确认 2025-") == len(MONTHS)  # Xiaoshan's twelve months
        screenshot(page, "confirmations")
        page.click("#awaiting form:has(input[value='2025-03']) button")
        assert "萧山区已确认 XXJ-YANGXUN 2025-03（第 1 版数据）；双方均已确认，数据已互认" in above_the_fold(
            page, ".notice"
        )
        assert "已互认" in page.locator("#months tbody tr").nth(2).inner_text()
        screenshot(page, "confirmations-after")
        browser.close()


def test_a_confirmation_posted_without_this_sessions_csrf_token_is_refused(
    client: TestClient, parties: dict[str, str], xiaoshan_clerk: dict[str, str]
) -> None:
    assert client.post("/ui/login", data=xiaoshan_clerk, follow_redirects=False).status_code == 303
    form = {"section": SECTION, "month": "2025-03", "party": "xiaoshan", "csrf": "0" * 64}
    refused = client.post("/ui/confirmations", data=form, follow_redirects=False)
    assert refused.status_code == 403 and "CSRF" in refused.text
    assert state(client, parties["xiaoshan"], "2025-03")["revision"] is None
