"""`envmon db upgrade && envmon db seed` and `envmon mosquitto-config` against a fresh TimescaleDB."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack.postgres import PostgresCluster
from devstack.processes import private_directory
from services.storage.seed import REGISTRY_DIR


@pytest.fixture
def fresh_cluster() -> Iterator[PostgresCluster]:
    cluster = PostgresCluster(private_directory("cli-postgres"))
    cluster.start()
    yield cluster
    cluster.destroy()


def envmon(*args: str, database_url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ENVMON_DATABASE_URL": database_url, "ENVMON_LOG_LEVEL": "WARNING"}
    return subprocess.run(
        [sys.executable, "-m", "services.cli", *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.integration
def test_upgrade_seed_and_broker_config_on_a_fresh_database(fresh_cluster: PostgresCluster, tmp_path: Path) -> None:
    # Libpq form on purpose: the settings add the psycopg driver themselves.
    url = fresh_cluster.libpq_url
    assert envmon("db", "upgrade", database_url=url).returncode == 0
    seeded = envmon("db", "seed", database_url=url)
    assert seeded.returncode == 0, seeded.stderr
    assert "seeded 10 parties, 21 stations, 139 programme periods and 17 broker accounts" in seeded.stdout
    assert envmon("db", "seed", database_url=url).returncode == 0  # idempotent

    bad = tmp_path / "bad-registry"
    shutil.copytree(REGISTRY_DIR, bad)
    programme = (bad / "programmes.yaml").read_text(encoding="utf-8")
    (bad / "programmes.yaml").write_text(programme.replace("interval: 4h", "interval: 7h", 1), encoding="utf-8")
    refused = envmon("db", "seed", "--registry", str(bad), database_url=url)
    assert refused.returncode == 1
    assert "nothing loaded" in refused.stderr and "interval 7h must divide a day evenly" in refused.stderr

    written = envmon("mosquitto-config", "--out", str(tmp_path), database_url=url)
    assert written.returncode == 0, written.stderr
    acl = (tmp_path / "acl").read_text()
    passwd_lines = (tmp_path / "passwd").read_text().splitlines()
    assert "user gw-pyj-jinhua\ntopic write envmon/v1/PYJ-JINHUA/water\n" in acl
    assert "topic read envmon/v1/PYJ-JINHUA/rejects" in acl
    assert len(passwd_lines) == 17 and all(":$7$" in line for line in passwd_lines)
