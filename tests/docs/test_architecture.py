"""docs/architecture.md names only modules that exist (new modules need not be in it)."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ARCHITECTURE = REPO / "docs" / "architecture.md"
MODULE = re.compile(r"\b(?:services|simulators|devstack)(?:\.[a-z_][a-z0-9_]*)+")
REPO_PATH = re.compile(r"\b(?:services|simulators|devstack|deploy)/[^\s`),]+")
DIAGRAM = re.compile(r"^```\n(.*?)^```$", re.M | re.S)


def exists_as_module(dotted: str) -> bool:
    path = REPO.joinpath(*dotted.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def test_there_is_one_diagram_per_data_path() -> None:
    text = ARCHITECTURE.read_text(encoding="utf-8")
    titles = re.findall(r"^## \d\. (.+)$", text, re.M)
    assert titles == [
        "MQTT → stored reading",
        "Reading → KPI → alert",
        "Readings → statement → export",
        "Readings → a partner's SensorThings request",
    ]
    assert len(DIAGRAM.findall(text)) == len(titles)


def test_every_module_the_document_names_exists() -> None:
    text = ARCHITECTURE.read_text(encoding="utf-8")
    named = set(MODULE.findall(text))
    assert len(named) > 40, "the diagrams name the modules a reading passes through"
    assert sorted(name for name in named if not exists_as_module(name)) == []


def test_every_path_the_document_names_exists() -> None:
    text = ARCHITECTURE.read_text(encoding="utf-8")
    paths = set(REPO_PATH.findall(text))
    missing = [path for path in paths if not any(REPO.glob(path.rstrip("/")))]
    assert sorted(missing) == []
