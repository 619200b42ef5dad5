"""`make run` in miniature: scripts/run-local.sh on free ports in a private folder, then scripts/stop-local.sh.

Slow (about a minute): it starts the whole stack from scratch, as a newcomer's first `make run` does, with the
simulator's backfill shortened to the last week (the default year and more is measured in docs/running.md).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest

from devstack.localstack import DEMO_PARTNER_KEY, Ports, stack_pids
from devstack.processes import free_port, private_directory
from services.standards.local_time import BEIJING_TIME

REPO = Path(__file__).resolve().parents[2]
KPI_WAIT_SECONDS = 120
POLL_SECONDS = 2
BACKFILL_DAYS = 7

pytestmark = pytest.mark.integration


@pytest.fixture
def run_dir() -> Iterator[Path]:
    directory = private_directory("run")
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


def _environment(run_dir: Path) -> tuple[dict[str, str], Ports]:
    ports = Ports(*(free_port() for _ in range(len(Ports.__dataclass_fields__))))
    names = {"postgres": "PG"}
    since = datetime.now(BEIJING_TIME).date() - timedelta(days=BACKFILL_DAYS)
    environment = {**os.environ, "ENVMON_RUN_DIR": str(run_dir), "ENVMON_SIMULATE_BACKFILL_SINCE": since.isoformat()}
    environment.update(
        {
            f"ENVMON_RUN_{names.get(name, name.upper())}_PORT": str(getattr(ports, name))
            for name in Ports.__dataclass_fields__
        }
    )
    return environment, ports


def _kpis_have_content(ports: Ports) -> bool:
    now = datetime.now(BEIJING_TIME)
    base = f"http://127.0.0.1:{ports.alerts}"
    try:
        water = httpx.get(f"{base}/v1/kpi/water", params={"period": f"{now:%Y-%m}"}, timeout=5)
        air = httpx.get(f"{base}/v1/kpi/air", params={"year": now.year}, timeout=5)
    except httpx.HTTPError:
        return False
    return water.status_code == 200 and bool(water.json()["sections"]) and air.status_code == 200


def test_make_run_brings_up_the_stack_with_content_and_make_stop_leaves_nothing(run_dir: Path) -> None:
    environment, ports = _environment(run_dir)
    started = subprocess.run(
        ["bash", str(REPO / "scripts" / "run-local.sh")],
        env=environment,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    try:
        assert started.returncode == 0, started.stdout + started.stderr
        assert f"http://127.0.0.1:{ports.alerts}/v1/kpi/water" in started.stdout
        for url in re.findall(r"http://\S+", started.stdout):  # every URL a newcomer is shown answers
            assert httpx.get(url, follow_redirects=True, timeout=30).status_code == 200, url
        assert "keqiao.finance" in started.stdout  # the demo logins of the finance pages
        login = {"username": "keqiao.finance", "password": "demo-keqiao.finance"}
        page = httpx.post(f"http://127.0.0.1:{ports.compensation}/ui/login", data=login, follow_redirects=True)
        assert page.status_code == 200 and "结算单" in page.text
        things = httpx.get(
            f"http://127.0.0.1:{ports.sensorthings}/v1.1/Things", headers={"X-API-Key": DEMO_PARTNER_KEY}, timeout=30
        )
        assert "XXJ-YANGXUN-XS" in [thing["@iot.id"] for thing in things.json()["value"]]  # Xiaoshan's demo key
        deadline = time.monotonic() + KPI_WAIT_SECONDS
        while not _kpis_have_content(ports):
            assert time.monotonic() < deadline, (run_dir / "logs" / "honcho.log").read_text()[-5000:]
            time.sleep(POLL_SECONDS)
    finally:
        stopped = subprocess.run(
            ["bash", str(REPO / "scripts" / "stop-local.sh")],
            env=environment,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert stopped.returncode == 0, stopped.stdout + stopped.stderr
    assert stack_pids(run_dir) == []
    assert not (run_dir / "honcho.pid").exists()
