"""The finance page: in a real headless Chromium (log in, confirm, download an export), and its CSRF protection."""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import sync_playwright
from sqlalchemy import Engine

from services.compensation.api.deps import SESSION_COOKIE
from services.compensation.api.routes.pages import csrf_token
from tests.support.chromium import CHROMIUM, CHROMIUM_ARGS
from tests.support.compensation import PASSWORD, Keys, as_, store_monthly

pytestmark = pytest.mark.integration


def test_bureau_confirms_a_statement_in_chromium(server: str, keys: Keys, compensation_db: Engine) -> None:
    store_monthly(compensation_db, "XXJ-YANGXUN", 2025, {"codmn": 4.0, "nh3n": 0.8, "tp": 0.17})
    statement = httpx.post(
        f"{server}/agreements/XXJ-XIAOSHAN-KEQIAO/statements", json={"period": "2025"}, headers=as_(keys.finance)
    ).json()["id"]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(accept_downloads=True)
        page.goto(f"{server}/ui/")
        page.fill("input[name=username]", "bureau-user")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        assert page.locator("#agreements tbody tr").count() == 3
        page.click(f"a[href='/ui/statements/{statement}']")
        assert "柯桥区（下游） 向 萧山区（上游） 支付" in page.inner_text("#result")
        assert "人民币伍佰万元整" in page.inner_text("#result")
        assert page.locator("#to-approved").count() == 0  # the bureau confirms; only finance approves
        page.click("#to-confirmed")
        assert page.inner_text("#status").startswith("已确认")
        with page.expect_download() as download:
            page.click("a[href$='export.xlsx']")
        assert download.value.suggested_filename.endswith("-r1.xlsx")
        page.click("#logout")
        page.fill("input[name=username]", "bureau-user")
        page.fill("input[name=password]", "wrong-password")
        page.click("button[type=submit]")
        assert "用户名或密码错误" in page.inner_text(".error")
        browser.close()


@pytest.mark.parametrize("case", ["missing", "wrong", "another session's"])
def test_a_form_post_without_this_sessions_csrf_token_is_refused(
    client: TestClient, keys: Keys, compensation_db: Engine, case: str
) -> None:
    store_monthly(compensation_db, "XXJ-YANGXUN", 2025, {"codmn": 4.0, "nh3n": 0.8, "tp": 0.17})
    statement = client.post(
        "/agreements/XXJ-XIAOSHAN-KEQIAO/statements", json={"period": "2025"}, headers=as_(keys.bureau)
    ).json()["id"]
    login = {"username": "bureau-user", "password": PASSWORD}
    other_session = client.post("/ui/login", data=login, follow_redirects=False).cookies[SESSION_COOKIE]
    assert client.post("/ui/login", data=login, follow_redirects=False).status_code == 303  # the client's session
    page = client.get(f"/ui/statements/{statement}").text
    genuine = re.search(r'name="csrf" value="([0-9a-f]{64})"', page)
    assert genuine is not None
    forged = {"status": "confirmed"}
    if case == "wrong":
        forged["csrf"] = "0" * 64
    elif case == "another session's":
        forged["csrf"] = csrf_token(other_session)
    refused = client.post(f"/ui/statements/{statement}/transition", data=forged, follow_redirects=False)
    assert refused.status_code == 403 and "CSRF" in refused.text
    assert client.get(f"/statements/{statement}", headers=as_(keys.viewer)).json()["status"] == "draft"
    assert ("bureau-user", "request.rejected") in [
        (e["actor"], e["action"]) for e in client.get("/audit", headers=as_(keys.admin)).json()
    ]
    accepted = client.post(
        f"/ui/statements/{statement}/transition",
        data={"status": "confirmed", "csrf": genuine.group(1)},
        follow_redirects=False,
    )
    assert accepted.status_code == 303
    assert client.get(f"/statements/{statement}", headers=as_(keys.viewer)).json()["status"] == "confirmed"
