"""A private Mosquitto with a generated password file and ACL, on a free port."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine

from devstack.processes import (
    ServerLifecycle,
    free_port,
    hand_over,
    port_accepts,
    unprivileged,
    wait_until,
)
from services.broker.accounts import acl_file, load_accounts, password_file
from services.broker.tuning import BROKER_TUNING

MOSQUITTO = "mosquitto"


def mosquitto_conf(*, port: int, bind: str, password_path: Path, acl_path: Path, persistence_dir: Path | None) -> str:
    lines = [
        "# Generated for a private envmon broker.",
        "per_listener_settings false",
        "allow_anonymous false",
        f"password_file {password_path}",
        f"acl_file {acl_path}",
        f"listener {port} {bind}",
        "log_dest stderr",
        "log_type error",
        "log_type warning",
        *(f"{key} {value}" for key, value in BROKER_TUNING.items()),
    ]
    if persistence_dir is not None:
        lines += ["persistence true", f"persistence_location {persistence_dir}/"]
    return "\n".join(lines) + "\n"


@dataclass
class MosquittoBroker(ServerLifecycle):
    """Runs ``mosquitto -c`` on 127.0.0.1:``port``; restartable with its persistence kept.

    ``stop`` sends SIGTERM: Mosquitto saves its persistence store, then exits.
    """

    directory: Path
    password_file: str
    acl_file: str
    port: int = field(default_factory=free_port)
    persistence: bool = True
    process: subprocess.Popen[bytes] | None = None

    def url(self, username: str, password: str) -> str:
        return f"mqtt://{username}:{password}@127.0.0.1:{self.port}"

    def write_config(self) -> Path:
        self.directory.mkdir(parents=True, exist_ok=True)
        (self.directory / "store").mkdir(exist_ok=True)
        passwords, acl = self.directory / "passwd", self.directory / "acl"
        passwords.write_text(self.password_file)
        acl.write_text(self.acl_file)
        passwords.chmod(0o600)
        acl.chmod(0o600)
        conf = self.directory / "mosquitto.conf"
        conf.write_text(
            mosquitto_conf(
                port=self.port,
                bind="127.0.0.1",
                password_path=passwords,
                acl_path=acl,
                persistence_dir=self.directory / "store" if self.persistence else None,
            )
        )
        hand_over(self.directory)
        return conf

    def update_accounts(self, password_file: str, acl_file: str) -> None:
        """Rewrite the password file and ACL; takes effect at the next start (or SIGHUP)."""
        self.password_file, self.acl_file = password_file, acl_file
        self.write_config()

    def start(self) -> None:
        conf = self.write_config()
        log = open(self.directory / "mosquitto.log", "ab")  # noqa: SIM115 - kept open for the broker's life
        self.process = subprocess.Popen(
            [shutil.which(MOSQUITTO) or "/usr/sbin/mosquitto", "-c", str(conf)],
            stdout=log,
            stderr=subprocess.STDOUT,
            **unprivileged(),
        )
        wait_until(lambda: port_accepts(self.port), f"Mosquitto on port {self.port}", process=self.process)


def start_registry_broker(directory: Path, engine: Engine, *, persistence: bool = True) -> MosquittoBroker:
    """A started private broker whose password file and ACL come from the database's gateways registry."""
    with engine.connect() as connection:
        accounts = load_accounts(connection)
    broker = MosquittoBroker(directory, password_file(accounts), acl_file(accounts), persistence=persistence)
    broker.start()
    return broker
