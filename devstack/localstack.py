"""Prepares the run folder of ``make run`` (scripts/run-local.sh); honcho then runs the Procfile.

``python -m devstack.localstack prepare RUN_DIR`` (ports from ``ENVMON_RUN_*_PORT``):

1. a private TimescaleDB cluster under RUN_DIR/pg: initdb once, then start it briefly to migrate,
   seed the registry and generate Mosquitto's password file and ACL, and stop it again;
2. RUN_DIR/mosquitto/mosquitto.conf with the same tuning as production;
3. RUN_DIR/prometheus/prometheus.yml: deploy/prometheus/prometheus.yml with local targets;
4. RUN_DIR/alertmanager/alertmanager.yml: deploy/alertmanager's file when there is one;
5. RUN_DIR/env: the environment honcho gives every process (``honcho -e``).
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from devstack.mosquitto import mosquitto_conf
from devstack.postgres import pg_bindir, start_platform_database
from devstack.processes import UNPRIVILEGED_USER, hand_over, running_as_root
from services.broker.accounts import write_broker_files
from services.compensation.demo import create_demo_logins, login_table
from services.sensorthings.keys import create_key, key_exists
from services.storage.engine import make_engine

REPO = Path(__file__).resolve().parents[1]
DEMO_LOGINS = "demo-logins.txt"
DEMO_PARTNER_KEY_NAME = "xiaoshan-demo"
DEMO_PARTNER_KEY = "dev-xiaoshan-sensorthings-key"  # development only, like the demo logins
COMPOSE_TARGETS = {
    "ingest:8001": "ingest",
    "alerts:8002": "alerts",
    "compensation:8003": "compensation",
    "hj212-gateway:8004": "hj212_http",
    "sensorthings:8005": "sensorthings",
    "alertmanager:9093": "alertmanager",
    "localhost:9090": "prometheus",
}
LOCAL_ALERTMANAGER = """# Local development: alerts are kept in Alertmanager's UI only (no receivers configured).
route:
  receiver: local
receivers:
  - name: local
"""


@dataclass(frozen=True, slots=True)
class Ports:
    postgres: int = 55432
    mqtt: int = 51883
    ingest: int = 8001
    alerts: int = 8002
    compensation: int = 8003
    hj212_http: int = 8004
    sensorthings: int = 8005
    hj212_tcp: int = 59212
    prometheus: int = 59090
    alertmanager: int = 59093

    @classmethod
    def from_environment(cls) -> Ports:
        """``ENVMON_RUN_<NAME>_PORT`` overrides each default (``ENVMON_RUN_PG_PORT`` for PostgreSQL)."""
        names = {"postgres": "PG"}
        return cls(
            **{
                name: int(os.environ.get(f"ENVMON_RUN_{names.get(name, name.upper())}_PORT", default))
                for name, default in asdict(cls()).items()
            }
        )


def prepare_database(run_dir: Path, ports: Ports) -> None:
    cluster = start_platform_database(run_dir / "pg", port=ports.postgres)
    try:
        engine = make_engine(cluster.url, pool_size=1)
        with engine.connect() as connection:
            write_broker_files(connection, run_dir / "mosquitto")
        with engine.begin() as connection:  # the finance pages' demo logins, printed by run-local.sh
            (run_dir / DEMO_LOGINS).write_text(login_table(create_demo_logins(connection, production=False)) + "\n")
            if not key_exists(connection, DEMO_PARTNER_KEY_NAME):  # a Xiaoshan key for the SensorThings API
                create_key(connection, DEMO_PARTNER_KEY_NAME, "xiaoshan", DEMO_PARTNER_KEY)
        engine.dispose()
    finally:
        cluster.stop()


def write_mosquitto_conf(run_dir: Path, ports: Ports) -> None:
    directory = run_dir / "mosquitto"
    (directory / "store").mkdir(parents=True, exist_ok=True)
    (directory / "mosquitto.conf").write_text(
        mosquitto_conf(
            port=ports.mqtt,
            bind="127.0.0.1",
            password_path=directory / "passwd",
            acl_path=directory / "acl",
            persistence_dir=directory / "store",
        )
    )
    hand_over(directory)


def write_prometheus_conf(run_dir: Path, ports: Ports) -> None:
    text = (REPO / "deploy" / "prometheus" / "prometheus.yml").read_text(encoding="utf-8")
    for target, port_name in COMPOSE_TARGETS.items():
        text = text.replace(f'"{target}"', f'"127.0.0.1:{getattr(ports, port_name)}"')
    text = text.replace("/etc/prometheus/rules/", f"{REPO}/deploy/prometheus/rules/")
    directory = run_dir / "prometheus"
    (directory / "data").mkdir(parents=True, exist_ok=True)
    (directory / "prometheus.yml").write_text(text, encoding="utf-8")


def write_alertmanager_conf(run_dir: Path) -> None:
    directory = run_dir / "alertmanager"
    (directory / "data").mkdir(parents=True, exist_ok=True)
    shipped = REPO / "deploy" / "alertmanager" / "alertmanager.yml"
    target = directory / "alertmanager.yml"
    if shipped.exists():
        shutil.copyfile(shipped, target)
    else:
        target.write_text(LOCAL_ALERTMANAGER, encoding="utf-8")


def environment(run_dir: Path, ports: Ports) -> dict[str, str]:
    database = f"postgresql+psycopg://postgres@127.0.0.1:{ports.postgres}/envmon"
    run_as = (
        f"setpriv --reuid={UNPRIVILEGED_USER} --regid={UNPRIVILEGED_USER} --clear-groups" if running_as_root() else ""
    )
    return {
        "ENVMON_RUN_DIR": str(run_dir),
        "ENVMON_RUN_AS": run_as,
        "ENVMON_RUN_PG_BIN": str(pg_bindir()),
        "ENVMON_RUN_PYTHON_BIN": str(Path(sys.executable).parent),
        **{f"ENVMON_RUN_{name.upper()}_PORT": str(port) for name, port in asdict(ports).items()},
        "ENVMON_DATABASE_URL": database,
        "ENVMON_MQTT_HOST_PORT": f"127.0.0.1:{ports.mqtt}",
        # Local only: nothing listens beyond this machine.
        "ENVMON_INGEST_HTTP_HOST": "127.0.0.1",
        "ENVMON_HJ212_TCP_HOST": "127.0.0.1",
        "ENVMON_HJ212_HTTP_HOST": "127.0.0.1",
        "ENVMON_ALERTS_HTTP_HOST": "127.0.0.1",
        "ENVMON_INGEST_HTTP_PORT": str(ports.ingest),
        "ENVMON_ALERTS_HTTP_PORT": str(ports.alerts),
        # the base of every alert's dashboard and API links, and of Alertmanager's generator URLs
        "ENVMON_ALERTS_PUBLIC_URL": f"http://127.0.0.1:{ports.alerts}",
        "ENVMON_COMPENSATION_HTTP_PORT": str(ports.compensation),
        "ENVMON_SENSORTHINGS_HTTP_PORT": str(ports.sensorthings),
        "ENVMON_HJ212_HTTP_PORT": str(ports.hj212_http),
        "ENVMON_HJ212_TCP_PORT": str(ports.hj212_tcp),
        "ENVMON_ALERTMANAGER_URL": f"http://127.0.0.1:{ports.alertmanager}",
        "ENVMON_LOG_LEVEL": "INFO",
    }


def main(run_dir: Path) -> None:
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "logs").mkdir(exist_ok=True)
    ports = Ports.from_environment()
    prepare_database(run_dir, ports)
    write_mosquitto_conf(run_dir, ports)
    write_prometheus_conf(run_dir, ports)
    write_alertmanager_conf(run_dir)
    lines = [f"{key}={shlex.quote(value)}" for key, value in environment(run_dir, ports).items()]
    (run_dir / "env").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _ancestors() -> set[int]:
    pids, pid = set(), os.getpid()
    while pid > 1:
        pids.add(pid)
        pid = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    return pids


def stack_pids(run_dir: Path) -> list[int]:
    """Processes of the stack: each carries ENVMON_RUN_DIR=<run_dir> in its environment (honcho -e).

    The caller and its ancestors (make, a test) may carry the same variable and are never counted.
    """
    marker = f"ENVMON_RUN_DIR={run_dir}".encode()
    ourselves = _ancestors()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) in ourselves:
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:  # gone meanwhile, or not ours to read
            continue
        if marker in environ.split(b"\0"):
            found.append(int(entry.name))
    return sorted(found)


if __name__ == "__main__":
    command, folder = sys.argv[1], Path(sys.argv[2]).resolve()
    if command == "prepare":
        main(folder)
    elif command == "pids":
        print(*stack_pids(folder))  # noqa: T201 - read by scripts/stop-local.sh
    else:
        raise SystemExit(f"usage: python -m devstack.localstack prepare|pids RUN_DIR (not {command!r})")
