"""The committed dashboard JSON under deploy/grafana/dashboards/, regenerated with ``envmon grafana build``."""

from __future__ import annotations

import json
from pathlib import Path

from services.grafana.boards import DASHBOARDS
from services.grafana.model import Json, render

DASHBOARD_DIR = Path(__file__).resolve().parents[2] / "deploy" / "grafana" / "dashboards"


def file_name(uid: str) -> str:
    return f"{uid.removeprefix('envmon-')}.json"


def dashboard_json(board: Json) -> str:
    return json.dumps(board, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def rendered() -> dict[str, str]:
    """File name -> JSON text of every board."""
    return {file_name(board.uid): dashboard_json(render(board)) for board in DASHBOARDS}


def write_dashboards(directory: Path = DASHBOARD_DIR) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in rendered().items():
        path = directory / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
