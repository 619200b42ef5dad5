"""The headless Chromium the page tests drive (Debian's chromium, installed by make deps)."""

from __future__ import annotations

import os
from pathlib import Path

from playwright.sync_api import ViewportSize

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# the screen of an office PC: what a clerk acts on must lie within its first 768 pixels
VIEWPORT: ViewportSize = {"width": 1366, "height": 768}
# screenshots and PDFs kept as test artifacts
ARTIFACTS = Path(os.environ.get("ENVMON_TEST_ARTIFACTS", Path(__file__).resolve().parents[2] / "test-artifacts"))
