"""The finance page in a real headless Chromium: log in, open a statement, confirm it, download an export."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from playwright.sync_api import sync_playwright
from sqlalchemy import Engine

from tests.compensation.conftest import PASSWORD, Keys, as_, store_monthly

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SERVER_START_SECONDS = 10


@pytest.fixture
def server(app: FastAPI) -> Iterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    instance = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None))
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + SERVER_START_SECONDS
    while not instance.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    instance.should_exit = True
    thread.join()


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
        assert "柯桥区 → 萧山区" in page.inner_text("#result")
        assert "伍佰万元整" in page.inner_text("#result")
        assert page.locator("#to-approved").count() == 0  # the bureau confirms; only finance approves
        page.click("#to-confirmed")
        assert page.inner_text("#status") == "confirmed"
        with page.expect_download() as download:
            page.click("a[href$='export.xlsx']")
        assert download.value.suggested_filename.endswith("-r1.xlsx")
        page.click("header button")  # log out
        page.fill("input[name=username]", "bureau-user")
        page.fill("input[name=password]", "wrong-password")
        page.click("button[type=submit]")
        assert "用户名或密码错误" in page.inner_text(".error")
        browser.close()
