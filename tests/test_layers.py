"""The import graph (docs/architecture.md, "Layers"): services/standards at the bottom, shared layers in order,
no service importing another, and nothing shipped importing what is only for tests and benchmarks.

Imports inside functions count too. A new service under services/ is held to the same rules without
being listed here."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from functools import cache
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# The shared layers, bottom first: each may import only the layers before it.
SHARED_LAYERS = ("standards", "common", "storage", "broker")
ENTRY_POINT = "cli"  # services/cli.py, the `envmon` command: composes every service and the simulators
NOT_SHIPPED = {"devstack", "tests", "benchmarks"}


def imported_modules(path: Path) -> Iterator[str]:
    """Every absolute module an import statement in ``path`` names (``from a import b`` gives ``a`` and ``a.b``)."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            raise AssertionError(f"{path.relative_to(REPO)}: use absolute imports, so this test sees the edge")


def package_of(path: Path) -> str:
    """``services/ingest/writer.py`` → ``ingest``, ``services/cli.py`` → ``cli``, ``simulators/…`` → ``simulators``."""
    parts = path.relative_to(REPO).with_suffix("").parts
    return parts[1] if parts[0] == "services" else parts[0]


@cache
def project_edges(top: str) -> frozenset[tuple[str, str, str]]:
    """(module file, its package, the package it imports) for every import of the project under ``top``."""
    edges = set()
    for path in (REPO / top).rglob("*.py"):
        source = package_of(path)
        for module in imported_modules(path):
            parts = module.split(".")
            if parts[0] == "services" and len(parts) > 1:
                target = parts[1]
            elif parts[0] in NOT_SHIPPED | {"simulators"}:
                target = parts[0]
            else:
                continue
            if target != source:
                edges.add((str(path.relative_to(REPO)), source, target))
    return frozenset(edges)


def services_packages() -> set[str]:
    return {path.parent.name for path in (REPO / "services").glob("*/__init__.py")}


def allowed_targets(package: str) -> set[str]:
    if package in SHARED_LAYERS:
        return set(SHARED_LAYERS[: SHARED_LAYERS.index(package)])
    if package == ENTRY_POINT:
        return services_packages() | {"simulators"}
    if package == "simulators":
        # A client of the platform: it may read what the services ship (agreements, programmes), while
        # no service imports it.
        return services_packages()
    return set(SHARED_LAYERS)  # a service: the shared layers only


def test_standards_imports_nothing_of_the_project() -> None:
    assert {edge for edge in project_edges("services") if edge[1] == "standards"} == set()


def test_every_import_follows_the_layers() -> None:
    edges = project_edges("services") | project_edges("simulators")
    assert sorted(edge for edge in edges if edge[2] not in allowed_targets(edge[1])) == []


def test_no_service_imports_another() -> None:
    services = services_packages() - set(SHARED_LAYERS)
    assert len(services) >= 5, services
    crossing = {edge for edge in project_edges("services") if edge[1] in services and edge[2] in services}
    assert crossing == set()


def test_nothing_shipped_imports_devstack_tests_or_benchmarks() -> None:
    edges = project_edges("services") | project_edges("simulators")
    assert sorted(edge for edge in edges if edge[2] in NOT_SHIPPED) == []


def test_the_graph_is_read_from_real_imports() -> None:
    """The rules above would pass on an empty graph: check that the known edges are seen."""
    edges = {(source, target) for _, source, target in project_edges("services") | project_edges("simulators")}
    assert {("ingest", "storage"), ("alerts", "standards"), ("cli", "simulators"), ("simulators", "standards")} <= edges


def test_tests_take_helpers_from_tests_support_never_from_a_conftest() -> None:
    tests = REPO / "tests"
    from_conftest = sorted(
        f"{path.relative_to(REPO)}: {module}"
        for path in tests.rglob("*.py")
        for module in imported_modules(path)
        if module.split(".")[-1] == "conftest" or ".conftest." in module
    )
    assert from_conftest == []
    helpers_elsewhere = sorted(
        str(path.relative_to(REPO))
        for path in tests.rglob("*.py")
        if not path.name.startswith("test_")
        and path.name not in {"conftest.py", "__init__.py"}
        and (tests / "support") not in path.parents
    )
    assert helpers_elsewhere == [], "test helpers live in tests/support/"
