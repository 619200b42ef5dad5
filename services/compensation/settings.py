"""Settings of the compensation service (``ENVMON_COMPENSATION_*`` plus the common ones)."""

from __future__ import annotations

from pathlib import Path

from services.common.settings import CommonSettings
from services.compensation.agreements import AGREEMENTS_DIR

DEFAULT_CJK_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")


class CompensationSettings(CommonSettings):
    compensation_http_host: str = "127.0.0.1"
    compensation_http_port: int = 8003
    compensation_agreements_dir: Path = AGREEMENTS_DIR
    # reportlab embeds TrueType outlines only; Noto CJK (CFF) will not do, WenQuanYi Zen Hei will
    compensation_pdf_font: Path = DEFAULT_CJK_FONT
    compensation_token_minutes: int = 60
    # an admin API key created at start if no admin exists yet (then change it through the API)
    compensation_bootstrap_admin_key: str | None = None
