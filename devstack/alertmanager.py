"""A private Prometheus Alertmanager (Debian's ``prometheus-alertmanager``) on a free port, gossip off.

It runs the shipped configuration (deploy/alertmanager/alertmanager.yml) unless told otherwise, so tests
prove the routing, grouping and inhibition that production uses.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from devstack.processes import ServerLifecycle, free_port, hand_over, unprivileged, wait_until

ALERTMANAGER = "/usr/bin/prometheus-alertmanager"

DEPLOY_CONFIG = Path(__file__).resolve().parents[1] / "deploy" / "alertmanager" / "alertmanager.yml"


def _ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/-/ready", timeout=0.5).status_code == 200
    except httpx.HTTPError:
        return False


@dataclass
class AlertmanagerProcess(ServerLifecycle):
    """``prometheus-alertmanager`` with its config and storage in ``directory``; ``url`` is its HTTP base."""

    directory: Path
    config: str = field(default_factory=lambda: DEPLOY_CONFIG.read_text(encoding="utf-8"))
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        (self.directory / "data").mkdir(exist_ok=True)
        config = self.directory / "alertmanager.yml"
        config.write_text(self.config)
        hand_over(self.directory)
        log = open(self.directory / "alertmanager.log", "ab")  # noqa: SIM115 - kept open for the process's life
        self.process = subprocess.Popen(
            [
                ALERTMANAGER,
                f"--config.file={config}",
                f"--storage.path={self.directory / 'data'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
                "--cluster.listen-address=",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            **unprivileged(),
        )
        wait_until(lambda: _ready(self.url), f"Alertmanager on port {self.port}", process=self.process)
