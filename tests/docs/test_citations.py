"""Code and docs cite the standards themselves, never research notes that live outside the repository."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCANNED = ("services", "docs", "tests", "devstack", "simulators", "deploy", "benchmarks", "scripts")
TEXT_SUFFIXES = {".py", ".md", ".yaml", ".yml", ".json", ".sh", ".sql", ".toml", ".txt", ".html", ".j2"}
# Built from parts so that this file does not match itself.
NOTES_PATH = "shared/" + "reference/"


def repository_text_files() -> list[Path]:
    files = [REPO / "README.md", REPO / "DEVELOPERS.md"]
    for top in SCANNED:
        files += [p for p in (REPO / top).rglob("*") if p.suffix in TEXT_SUFFIXES and "__pycache__" not in p.parts]
    return files


def test_nothing_cites_the_research_notes() -> None:
    citing = [
        f"{path.relative_to(REPO)}:{number}"
        for path in repository_text_files()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if NOTES_PATH in line
    ]
    assert citing == [], "cite the standard (e.g. GB 3838-2002 Table 1, HJ 633—2026 §5.3) instead"
