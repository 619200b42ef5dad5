"""The committed dashboard JSON under deploy/grafana/dashboards/, regenerated with ``envmon grafana build``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.dashboard import Dashboard

from services.grafana.boards import dashboards

DASHBOARD_DIR = Path(__file__).resolve().parents[2] / "deploy" / "grafana" / "dashboards"


def file_name(uid: str) -> str:
    return f"{uid.removeprefix('envmon-')}.json"


def dashboard_json(board: Dashboard) -> str:
    return json.dumps(board, cls=JSONEncoder, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def dashboard_model(board: Dashboard) -> dict[str, Any]:
    """The board as Grafana's JSON model (what provisioning loads and the HTTP API takes)."""
    model: dict[str, Any] = json.loads(dashboard_json(board))
    return model


def rendered() -> dict[str, str]:
    """File name -> JSON text of every board."""
    return {file_name(str(board.uid)): dashboard_json(board) for board in dashboards()}


def write_dashboards(directory: Path = DASHBOARD_DIR) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in rendered().items():
        path = directory / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
