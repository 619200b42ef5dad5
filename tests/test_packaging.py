"""What ships: the wheel and the image hold the services and the simulators (``envmon simulate``), never the
devstack, the tests or the benchmarks."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
NOT_SHIPPED = ("devstack", "tests", "benchmarks")
SHIPPED_PACKAGES = {"services", "simulators"}


def test_the_wheel_holds_only_the_shipped_packages(tmp_path: Path) -> None:
    uv = os.environ.get("UV") or shutil.which("uv")
    assert uv is not None, "uv (the project's tool; make test-unit needs it) is not on PATH"
    built = subprocess.run(
        [uv, "build", "--wheel", "--out-dir", str(tmp_path), str(REPO)], capture_output=True, text=True, check=False
    )
    assert built.returncode == 0, built.stderr
    [wheel] = tmp_path.glob("*.whl")
    tops = {name.split("/", 1)[0] for name in zipfile.ZipFile(wheel).namelist()}
    assert {top for top in tops if not top.endswith(".dist-info")} == SHIPPED_PACKAGES


def copied_sources() -> list[str]:
    """The build-context sources of every COPY in the Dockerfile (``COPY --from=…`` copies from a stage)."""
    sources = []
    for line in (REPO / "Dockerfile").read_text(encoding="utf-8").splitlines():
        if not line.upper().startswith("COPY "):
            continue
        words = shlex.split(line)
        if not any(word.startswith("--from") for word in words):
            sources += [word for word in words[1:-1] if not word.startswith("--")]
    return sources


def test_the_image_copies_no_devstack_tests_or_benchmarks() -> None:
    sources = copied_sources()
    assert "services" in sources
    assert [source for source in sources if not (REPO / source).exists()] == []
    # The whole context (".") would bring them along.
    assert [
        source
        for source in sources
        if Path(source).parts[:1] in {(name,) for name in NOT_SHIPPED} or source in {".", "./"}
    ] == []
