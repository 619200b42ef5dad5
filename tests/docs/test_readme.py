"""The README's command table is the ``envmon`` command tree, and its layout table covers every package."""

from __future__ import annotations

import re
from itertools import takewhile
from pathlib import Path

import typer

from services.cli import app

REPO = Path(__file__).resolve().parents[2]
ROW_PATH = re.compile(r"^\| `([^`]+)` \|")


def section(title: str) -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    body = text.split(f"\n## {title}\n", 1)[1]
    return body.split("\n## ", 1)[0].splitlines()


def first_cells(title: str) -> list[str]:
    return [match.group(1) for line in section(title) if (match := ROW_PATH.match(line))]


def command_paths(command: object, path: tuple[str, ...] = ()) -> set[str]:
    """Every runnable command under ``command``, as ``"db upgrade"``."""
    children = getattr(command, "commands", None)
    if not children:
        return {" ".join(path)}
    return {name for child_name, child in children.items() for name in command_paths(child, (*path, child_name))}


def documented_command(cell: str) -> str:
    """``envmon db upgrade [REVISION]`` → ``db upgrade``: the words before the first argument or option."""
    words = cell.split()
    assert words[0] == "envmon", cell
    return " ".join(takewhile(lambda word: re.fullmatch(r"[a-z][a-z0-9-]*", word) is not None, words[1:]))


def test_the_command_table_lists_every_envmon_command_and_nothing_else() -> None:
    documented = [documented_command(cell) for cell in first_cells("Command line")]
    assert len(documented) == len(set(documented)), "a command is listed twice"
    assert set(documented) == command_paths(typer.main.get_command(app))


def test_the_layout_table_names_existing_paths_and_every_package() -> None:
    listed = {cell.rstrip("/") for cell in first_cells("Layout")}
    assert [path for path in listed if not (REPO / path).exists()] == []
    packages = {
        str(init.parent.relative_to(REPO))
        for top in ("services", "devstack", "simulators")
        for init in [*(REPO / top).glob("__init__.py"), *(REPO / top).glob("*/__init__.py")]
    }
    packages.discard("services")
    assert sorted(packages - listed) == []
