"""Process helpers shared by the private instances: free ports, privilege drop, readiness."""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

READY_TIMEOUT_SECONDS = 30.0
READY_POLL_SECONDS = 0.05

# PostgreSQL refuses to run as root; CI runs as root, so servers run as this account.
UNPRIVILEGED_USER = "postgres"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def running_as_root() -> bool:
    return os.geteuid() == 0


def unprivileged() -> dict[str, Any]:
    """Popen keyword arguments that, when we are root, run the child as the unprivileged account.

    The child is exec'd directly (no runuser wrapper), so signals reach the server itself.
    """
    if not running_as_root():
        return {}
    account = pwd.getpwnam(UNPRIVILEGED_USER)
    return {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}


def hand_over(path: Path) -> None:
    """Give a directory tree to the unprivileged account, so a root test run can share it."""
    if not running_as_root():
        return
    account = pwd.getpwnam(UNPRIVILEGED_USER)
    for root, dirs, files in os.walk(path):
        os.chown(root, account.pw_uid, account.pw_gid)
        for name in dirs + files:
            os.chown(os.path.join(root, name), account.pw_uid, account.pw_gid)


def port_accepts(port: int, host: str = "127.0.0.1") -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.2):
            return True
    except OSError:
        return False


def wait_until(
    check: Callable[[], bool],
    what: str,
    timeout: float = READY_TIMEOUT_SECONDS,
    process: subprocess.Popen[bytes] | None = None,
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{what} exited with code {process.returncode} before it was ready")
        time.sleep(READY_POLL_SECONDS)
    raise TimeoutError(f"{what} was not ready within {timeout:.0f} s")


def stop_process(process: subprocess.Popen[bytes], *, timeout: float = 15.0, stop_signal: int = signal.SIGTERM) -> None:
    if process.poll() is not None:
        return
    process.send_signal(stop_signal)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def private_directory(prefix: str) -> Path:
    """A fresh directory under the system temp dir that the unprivileged server account can reach.

    pytest's own tmp_path lives under a root-only 0700 folder, which a server that dropped
    privileges could not enter.
    """
    path = Path(tempfile.mkdtemp(prefix=f"envmon-{prefix}-"))
    hand_over(path)
    return path


class ServerLifecycle:
    """stop / kill / destroy for a private server started into ``self.process`` under ``self.directory``."""

    directory: Path
    process: subprocess.Popen[bytes] | None
    STOP_SIGNAL: ClassVar[int] = signal.SIGTERM
    STOP_TIMEOUT_SECONDS: ClassVar[float] = 15.0

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process, timeout=self.STOP_TIMEOUT_SECONDS, stop_signal=self.STOP_SIGNAL)
            self.process = None

    def kill(self) -> None:
        """SIGKILL, as a crash would."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.process = None

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)
