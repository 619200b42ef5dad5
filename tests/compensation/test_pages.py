"""What a clerk sees, in a real headless Chromium at 1366×768, and the PDF they print.

One settled statement per shipped agreement (a year of automatic data on each station's programme),
screenshots of the index and of each 结算单 kept as test artifacts (``ENVMON_TEST_ARTIFACTS``, default
``test-artifacts/`` in the repository); amount, direction and status must lie above the fold. The PDF
puts the result on page 1, pdftotext finds the right 大写, and every character it carries has a glyph
in the embedded font.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, sync_playwright
from reportlab.pdfbase.ttfonts import TTFontFile
from sqlalchemy import Engine

from services.compensation.settings import DEFAULT_CJK_FONT
from tests.support.chromium import ARTIFACTS as TEST_ARTIFACTS
from tests.support.chromium import CHROMIUM, CHROMIUM_ARGS, VIEWPORT
from tests.support.compensation import PASSWORD, Keys, as_, store_automatic

pytestmark = pytest.mark.integration

ARTIFACTS = TEST_ARTIFACTS / "compensation"
HOURLY, FOUR_HOURLY = timedelta(hours=1), timedelta(hours=4)
YEAR_2025 = (date(2025, 1, 1), date(2025, 12, 31))

# agreement → (its 2025 statement's payer → receiver, amount, 大写)
EXPECTED = {
    "XXJ-XIAOSHAN-KEQIAO": ("柯桥区（下游） 向 萧山区（上游） 支付", "¥5,000,000.00", "人民币伍佰万元整"),
    "HYJ-ZHUJI-FUYANG": ("富阳区（下游） 向 诸暨市（上游） 支付", "¥5,800,000.00", "人民币伍佰捌拾万元整"),
    "PYJ-ZHUJI-XIAOSHAN": ("诸暨市（上游） 向 萧山区（下游） 支付", None, None),
}


def _seed(engine: Engine) -> None:
    store_automatic(engine, "XXJ-YANGXUN", *YEAR_2025, {"codmn": 4.0, "nh3n": 0.8, "tp": 0.17})
    store_automatic(
        engine, "HYJ-ZHUJI-FUYANG", date(2024, 1, 1), date(2024, 12, 31), {"codmn": 3.8, "nh3n": 0.45, "tp": 0.095}
    )
    store_automatic(engine, "HYJ-ZHUJI-FUYANG", *YEAR_2025, {"codmn": 3.5, "nh3n": 0.4, "tp": 0.09})
    store_automatic(
        engine, "PYJ-JINHUA", *YEAR_2025, {"codmn": 4.5, "nh3n": 0.9, "tp": 0.22, "flow": 40.0}, interval=HOURLY
    )
    # the inbound section misses every 10th report: still above the 75 % minimum
    store_automatic(
        engine, "PYJ-ANHUA", *YEAR_2025, {"codmn": 4.2, "nh3n": 0.8, "tp": 0.21, "flow": 30.0}, every_nth_missing=10
    )


@pytest.fixture
def settled(server: str, keys: Keys, compensation_db: Engine) -> dict[str, int]:
    _seed(compensation_db)
    ids = {}
    for agreement in EXPECTED:
        response = httpx.post(
            f"{server}/agreements/{agreement}/statements", json={"period": "2025"}, headers=as_(keys.bureau), timeout=60
        )
        assert response.status_code == 201, response.text
        assert response.json()["status"] == "draft", response.json()["document"]["gaps"]
        ids[agreement] = response.json()["id"]
    return ids


@pytest.fixture
def page(server: str, keys: Keys) -> Iterator[Page]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
        page = context.new_page()
        page.goto(f"{server}/ui/")
        page.fill("input[name=username]", "finance-user")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        yield page
        browser.close()


def above_the_fold(page: Page, selector: str) -> str:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, f"{selector} is not shown"
    assert box["y"] >= 0 and box["y"] + box["height"] <= VIEWPORT["height"], f"{selector} is below the fold: {box}"
    return page.locator(selector).first.inner_text()


def screenshot(page: Page, name: str) -> None:
    """The first screen as the clerk sees it, and the whole page with the technical section open."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    page.screenshot(path=str(ARTIFACTS / f"{name}-full.png"), full_page=True)
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = false)")


def test_index_and_each_statement_show_amount_direction_and_status_above_the_fold(
    page: Page, server: str, settled: dict[str, int]
) -> None:
    page.goto(f"{server}/ui/")
    screenshot(page, "index")
    rows = page.locator("#statements tbody tr")
    assert rows.count() == len(EXPECTED)
    for selector in ("#statements tbody tr .direction", "#statements tbody tr .amount", "#statements tbody tr .status"):
        above_the_fold(page, selector)
    assert "草稿" in page.locator("#statements tbody").inner_text()
    for agreement, statement in settled.items():
        direction, amount, capital = EXPECTED[agreement]
        page.goto(f"{server}/ui/statements/{statement}")
        screenshot(page, f"statement-{agreement}")
        assert above_the_fold(page, "#direction") == direction
        shown_amount = above_the_fold(page, "#amount")
        assert shown_amount.startswith("¥") and (amount is None or shown_amount == amount)
        assert capital is None or capital in above_the_fold(page, "#capital")
        assert above_the_fold(page, "#status").startswith("草稿")


def _font_glyphs() -> set[int]:
    return set(TTFontFile(str(DEFAULT_CJK_FONT), subfontIndex=0).charToGlyph)


def test_the_pdf_puts_the_result_on_page_1_with_every_glyph(
    server: str, keys: Keys, settled: dict[str, int], tmp_path: Path
) -> None:
    glyphs = _font_glyphs()
    for agreement, statement in settled.items():
        response = httpx.get(f"{server}/statements/{statement}/export.pdf", headers=as_(keys.viewer), timeout=60)
        assert response.status_code == 200
        pdf = tmp_path / f"{agreement}.pdf"
        pdf.write_bytes(response.content)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / f"statement-{agreement}.pdf").write_bytes(response.content)
        first_page = subprocess.run(
            ["pdftotext", "-layout", "-f", "1", "-l", "1", str(pdf), "-"], capture_output=True, check=True, text=True
        ).stdout
        direction, amount, capital = EXPECTED[agreement]
        assert direction.replace(" ", "") in first_page.replace(" ", "")
        assert capital is None or capital in first_page
        assert amount is None or amount in first_page
        everything = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, check=True, text=True).stdout
        missing = sorted({ch for ch in everything if not ch.isspace() and ord(ch) not in glyphs})
        assert not missing, f"{agreement}: no glyph in the font for {missing}"
        # text is drawn only in the embedded CJK font; reportlab lists its base Helvetica resource on every
        # document, never used for a character (the renderer refuses text its font cannot draw)
        fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, check=True, text=True).stdout
        listed = [line.split()[0] for line in fonts.splitlines()[2:] if line.strip()]
        assert {name.split("+")[-1] for name in listed} <= {"WenQuanYiZenHei-0", "Helvetica"}, fonts
