"""A throwaway PostgreSQL cluster with TimescaleDB preloaded, run from the local binaries."""

from __future__ import annotations

import signal
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from devstack.processes import (
    ServerLifecycle,
    free_port,
    hand_over,
    unprivileged,
    wait_until,
)
from services.storage.engine import make_engine, upgrade
from services.storage.seed import seed

PG_CONFIG = "pg_config"
DATABASE = "envmon"


def pg_bindir() -> Path:
    return Path(subprocess.run([PG_CONFIG, "--bindir"], check=True, capture_output=True, text=True).stdout.strip())


@dataclass
class PostgresCluster(ServerLifecycle):
    """initdb in ``directory``, listen on 127.0.0.1:``port`` only, trust auth for local tests.

    ``start``/``stop``/``kill`` let fault-injection tests take the database away and back; ``stop`` is
    PostgreSQL's fast shutdown (SIGINT): clients are disconnected, then a checkpoint.
    """

    STOP_SIGNAL = signal.SIGINT
    STOP_TIMEOUT_SECONDS = 30.0

    directory: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def data_dir(self) -> Path:
        return self.directory / "data"

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{DATABASE}"

    @property
    def libpq_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{DATABASE}"

    def init(self) -> None:
        if (self.data_dir / "PG_VERSION").exists():
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        hand_over(self.directory)
        subprocess.run(
            [
                str(pg_bindir() / "initdb"),
                "-D",
                str(self.data_dir),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
            ],
            check=True,
            capture_output=True,
            **unprivileged(),
        )
        settings = {
            "shared_preload_libraries": "'timescaledb'",
            "listen_addresses": "'127.0.0.1'",
            "unix_socket_directories": f"'{self.directory}'",
            "timescaledb.telemetry_level": "off",
            "max_connections": "200",
            "fsync": "on",
            "log_min_messages": "warning",
            "timezone": "'UTC'",
        }
        with (self.data_dir / "postgresql.conf").open("a") as conf:
            conf.writelines(f"{key} = {value}\n" for key, value in settings.items())

    def start(self) -> None:
        self.init()
        log = open(self.directory / "postgres.log", "ab")  # noqa: SIM115 - kept open for the server's life
        self.process = subprocess.Popen(
            [str(pg_bindir() / "postgres"), "-D", str(self.data_dir), "-p", str(self.port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            **unprivileged(),
        )
        wait_until(self._ready, f"PostgreSQL on port {self.port}", process=self.process)
        self._ensure_database()

    def _psql(self, sql: str, database: str = "postgres") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                str(pg_bindir() / "psql"),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                "postgres",
                "-d",
                database,
                "-v",
                "ON_ERROR_STOP=1",
                "-Atc",
                sql,
            ],
            capture_output=True,
            text=True,
        )

    def _ready(self) -> bool:
        return self._psql("select 1").returncode == 0

    def _ensure_database(self) -> None:
        exists = self._psql(f"select 1 from pg_database where datname = '{DATABASE}'").stdout.strip()
        if not exists:
            self._psql(f"create database {DATABASE}").check_returncode()


def start_platform_database(directory: Path, *, port: int | None = None) -> PostgresCluster:
    """A started private cluster, migrated to head, with the seed registry loaded."""
    cluster = PostgresCluster(directory) if port is None else PostgresCluster(directory, port=port)
    cluster.start()
    upgrade(cluster.url)
    engine = make_engine(cluster.url, pool_size=1)
    try:
        with engine.begin() as connection:
            seed(connection)
    finally:
        engine.dispose()
    return cluster
